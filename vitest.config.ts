import { defineConfig } from 'vitest/config';

/** One config, one project per workspace; integration tests live in test/. */
export default defineConfig({
  test: {
    // Most test files wait on sockets, brokers, moto and child processes rather than compute: two
    // files at a time keep both cores of a small CI machine busy (vitest's default is cores - 1).
    maxWorkers: 2,
    projects: ['edge-component', 'model-component', 'orchestrator', 'infra', 'review', 'sim']
      .map((name) => ({
        test: {
          name,
          root: `./${name}`,
          include: ['tests/**/*.test.ts'],
          // A deadline, not an expected duration: a test that packages, starts processes or runs
          // cdk-nag takes seconds alone and several times that beside another file on a busy machine.
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      }))
      .concat([
        {
          test: {
            name: 'integration',
            root: './test',
            include: ['**/*.test.ts'],
            testTimeout: 120_000,
            hookTimeout: 120_000,
          },
        },
      ]),
  },
});
