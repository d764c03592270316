import {defineConfig} from 'vitest/config'

// `LNMP_E2E_CLUSTER=1` runs only the whole-cluster suite (the compile-heavy one), for working on it alone.
const cluster = 'test/e2e/cluster.test.ts'

export default defineConfig({
  test: {
    include: process.env.LNMP_E2E_CLUSTER === '1' ? [cluster] : ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    // the SSH integration tests and the lab e2e suites share machine-wide resources (sshd ports, the lab bridge)
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
