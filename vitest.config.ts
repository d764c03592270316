import {configDefaults, defineConfig} from 'vitest/config'

// The whole-cluster suite compiles nginx and PHP on two lab hosts several times (tens of minutes on two cores):
// it runs on its own with `npm run test:cluster` until its builds fit CI's time (see the README).
const cluster = 'test/e2e/cluster.test.ts'

export default defineConfig({
  test: {
    include: process.env.LNMP_E2E_CLUSTER === '1' ? [cluster] : ['test/**/*.test.ts'],
    exclude: process.env.LNMP_E2E_CLUSTER === '1' ? configDefaults.exclude : [...configDefaults.exclude, cluster],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    // the SSH integration tests and the lab e2e suites share machine-wide resources (sshd ports, the lab bridge)
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
