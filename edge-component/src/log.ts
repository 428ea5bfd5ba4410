/**
 * The agent's logger: pino, JSON lines on stderr (stdout stays free for `inspect --json` and `watch`).
 * Level from EDGEQC_LOG_LEVEL (default info); `silent` in tests.
 */
import { type Logger, pino } from 'pino';

export type { Logger } from 'pino';

export function createLogger(name = 'edgeqc-agent', level = process.env.EDGEQC_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name, level }, pino.destination({ fd: 2, sync: false }));
}

/** A logger that writes nothing, for tests and library callers. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
