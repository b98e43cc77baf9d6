import { defineConfig } from 'vitest/config';

/** The workspace packages expose their TypeScript sources under this export condition. */
const SOURCE_CONDITION = '@secret-sidecar/source';

const shared = {
  pool: 'forks',
  restoreMocks: true,
  teardownTimeout: 10_000,
} as const;

/**
 * Three projects, run in this order by `make test`:
 *  - unit: pure logic with injected clocks and ports, real sockets on port 0; no moto, no build;
 *  - integration: the built artifacts as real processes, the real SDK clients against moto;
 *  - conformance: the built layer under AWS's own Runtime Interface Emulator.
 */
export default defineConfig({
  resolve: { conditions: [SOURCE_CONDITION] },
  ssr: { resolve: { conditions: [SOURCE_CONDITION] } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          ...shared,
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 10_000,
          hookTimeout: 10_000,
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/global-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
        },
      },
      {
        extends: true,
        test: {
          ...shared,
          name: 'conformance',
          include: ['test/conformance/**/*.test.ts'],
          globalSetup: ['test/conformance/global-setup.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
