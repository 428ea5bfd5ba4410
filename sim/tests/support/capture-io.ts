/** A CommandIo whose stdout and stderr are collected as text, for the command tests. */
import { Writable } from 'node:stream';
import type { CommandIo } from '@edgeqc/model-component/cli';

export interface CapturedIo {
  readonly io: CommandIo;
  out(): string;
  err(): string;
}

export function captureIo(env: Readonly<Record<string, string>> = {}): CapturedIo {
  const chunks = { out: '', err: '' };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        chunks[key] += chunk.toString();
        done();
      },
    });
  return {
    io: { stdout: sink('out'), stderr: sink('err'), env, signal: new AbortController().signal },
    out: () => chunks.out,
    err: () => chunks.err,
  };
}
