/** A CommandIo that captures output. */
import { Writable } from 'node:stream';
import type { CommandIo } from '@edgeqc/model-component/cli';

export function captureIo(env: Record<string, string | undefined> = {}): CommandIo & { out(): string; err(): string } {
  let out = '';
  let err = '';
  const sink = (append: (s: string) => void) =>
    new Writable({
      write(chunk, _enc, cb) {
        append(chunk.toString());
        cb();
      },
    });
  return {
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env,
    signal: new AbortController().signal,
    out: () => out,
    err: () => err,
  };
}
