import {defineConfig} from 'vitest/config'

// `LNMP_E2E_CLUSTER=1` runs only the whole-cluster suites (the compile-heavy ones), one per Debian release, for
// working on them alone; `LNMP_E2E_CLUSTER=trixie` only that release's
const only = process.env.LNMP_E2E_CLUSTER
const cluster = only === '1' ? ['test/e2e/cluster-*.test.ts'] : [`test/e2e/cluster-${only}.test.ts`]

export default defineConfig({
  test: {
    include: only ? cluster : ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 900_000,
    // the SSH integration tests and the lab e2e suites share machine-wide resources (sshd ports, the lab bridge)
    fileParallelism: false,
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
})
