import { defineConfig } from 'vitest/config';

/** One config, one project per workspace; integration tests live in test/. */
export default defineConfig({
  test: {
    projects: ['edge-component', 'model-component', 'orchestrator', 'infra', 'sim']
      .map((name) => ({
        test: { name, root: `./${name}`, include: ['tests/**/*.test.ts'], testTimeout: 30_000 },
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
