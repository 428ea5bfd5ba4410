/**
 * The `edgeqc inspect --url` side of the command: asks the agent's /readyz which model serves and says
 * so on stderr (as the local mode names its model), then inspects each file through the HTTP API.
 * An agent that cannot be reached, or that refuses the token, stops the command at once (exit 1) rather
 * than failing every file the same way; one that is not ready yet is warned about and asked anyway.
 */
import type { CommandIo } from '../../cli/command.ts';
import type { InspectOutcome } from '../../demo-model/inspect-files.ts';
import { messageOf } from '../../errors.ts';
import { type HttpInspectClientOptions, httpInspectClient } from './inspect-client.ts';

/** What the command's loop needs (the local model gives the same). */
export interface RemoteInspector {
  inspect(path: string): Promise<InspectOutcome>;
  close(): Promise<void>;
}

/** The inspector, or the exit code when the agent cannot be used. */
export async function openRemoteInspector(
  options: Omit<HttpInspectClientOptions, 'signal'>,
  io: CommandIo,
): Promise<RemoteInspector | number> {
  const client = httpInspectClient({ ...options, signal: io.signal });
  let ready: Awaited<ReturnType<typeof client.readiness>>;
  try {
    ready = await client.readiness();
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? ` (${err.cause.message})` : '';
    io.stderr.write(`edgeqc inspect: cannot reach ${options.url}: ${messageOf(err)}${cause}\n`);
    return 1;
  }
  if (ready.kind === 'refused') {
    io.stderr.write(`edgeqc inspect: ${options.url}: ${ready.code}: ${ready.message} (HTTP ${ready.status})\n`);
    return 1;
  }
  if (ready.kind === 'not-ready') {
    io.stderr.write(`${options.url}: not ready (${ready.code}: ${ready.message}); asking anyway\n`);
  } else {
    const m = ready.model;
    io.stderr.write(`${options.url}: model ${m.name}@${m.version} ${m.precision} sha ${m.sha256.slice(0, 12)}\n`);
  }
  return { inspect: (path) => client.inspectFile(path), close: () => Promise.resolve() };
}
