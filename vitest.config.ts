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
          // infra's checks (cdk-nag, cfn-lint) on a synthesized app take seconds alone, much longer
          // beside the other test files on a busy machine: a deadline, not an expected duration.
          testTimeout: name === 'infra' ? 120_000 : 30_000,
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
