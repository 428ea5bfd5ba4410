import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configFromEnv } from '../../src/handlers/config.ts';
import {
  EnvNames,
  ErrorNames,
  FATAL_ERROR_NAMES,
  handlerEntries,
  RETRYABLE_ERROR_NAMES,
  StepNames,
} from '../../src/handlers/entries.ts';

describe('handler entries (what infra bundles)', () => {
  it('has an existing absolute entry file per state, each exporting `handler`, wired lazily (no AWS call at import)', async () => {
    expect(Object.keys(handlerEntries).sort()).toEqual(Object.values(StepNames).sort());
    for (const [step, e] of Object.entries(handlerEntries)) {
      expect(isAbsolute(e.entry), step).toBe(true);
      expect(existsSync(e.entry), e.entry).toBe(true);
      const mod = (await import(e.entry)) as Record<string, unknown>;
      expect(typeof mod[e.handler], step).toBe('function');
    }
  });

  it('splits error names into retryable and fatal, without overlap', () => {
    expect(RETRYABLE_ERROR_NAMES).toEqual([ErrorNames.Throttled, ErrorNames.ServiceUnavailable]);
    expect(FATAL_ERROR_NAMES).toContain(ErrorNames.CanaryUnhealthy);
    expect(FATAL_ERROR_NAMES.filter((n) => RETRYABLE_ERROR_NAMES.includes(n))).toEqual([]);
  });

  it('a Lambda without required configuration fails with a ConfigError naming the variable', async () => {
    const { handler } = (await import(handlerEntries.Notify.entry)) as { handler: (e: unknown) => Promise<unknown> };
    const saved = process.env[EnvNames.TopicArn];
    delete process.env[EnvNames.TopicArn];
    try {
      await expect(handler({})).rejects.toMatchObject({
        name: ErrorNames.Config,
        message: expect.stringContaining(EnvNames.TopicArn),
      });
    } finally {
      if (saved !== undefined) process.env[EnvNames.TopicArn] = saved;
    }
  });

  it('rejects a bad environment value, naming variable and value', () => {
    expect(() => configFromEnv({ [EnvNames.FleetAbortPercent]: '150' })).toThrowError(
      expect.objectContaining({
        name: ErrorNames.Config,
        message: expect.stringContaining(`${EnvNames.FleetAbortPercent}="150"`),
      }),
    );
    expect(configFromEnv({ [EnvNames.CanaryTimeoutSeconds]: '60' })).toMatchObject({
      canaryTimeoutSeconds: 60,
      canaryGroup: 'canary',
    });
  });
});
