/**
 * Times `lnmp-deploy verify` on the lab (target: under 3 s on the deployed four-host lab). Each round is the
 * real CLI in a fresh process (node bin/run.js verify --json): the wall clock is what a person or CI waits
 * for, the report's own durationMs is verify without node's start-up. Read-only on the hosts (the session
 * proof's probe is placed and removed by verify itself).
 *
 *   npm run build && npx tsx bench/verify-bench.ts [ROUNDS=5] [CONFIG=/var/tmp/lnmp-lab/lnmp-deploy.yml]
 */
import {execa} from 'execa'
import {loadavg} from 'node:os'
import {fileURLToPath} from 'node:url'

import {labPaths} from '../src/lab/paths.js'

const TARGET_S = 3
const rounds = Number(process.argv[2] ?? 5)
const config = process.argv[3] ?? labPaths().config
const bin = fileURLToPath(new URL('../bin/run.js', import.meta.url))

interface Round {
  wall: number
  verify: number
  exitCode: number
  counts: string
}

const results: Round[] = []
for (let i = 0; i < rounds; i++) {
  const started = process.hrtime.bigint()
  const r = await execa('node', [bin, 'verify', '--json', '-c', config], {reject: false})
  const wall = Number(process.hrtime.bigint() - started) / 1e9
  let report: {durationMs?: number; counts?: {passed: number; failed: number; skipped: number}} = {}
  try {
    report = JSON.parse(r.stdout) as typeof report
  } catch {
    process.stderr.write(`round ${i + 1}: no JSON report (exit ${r.exitCode}): ${r.stderr.trim().split('\n').at(-1) ?? ''}\n`)
  }
  const c = report.counts
  results.push({
    wall,
    verify: (report.durationMs ?? Number.NaN) / 1000,
    exitCode: r.exitCode ?? -1,
    counts: c ? `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped` : '-',
  })
  process.stdout.write(
    `round ${i + 1}: ${wall.toFixed(2)} s wall, ${results.at(-1)?.verify.toFixed(2)} s in verify, exit ${r.exitCode}, ${results.at(-1)?.counts}\n`,
  )
}

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b)
  const median = s.length % 2 ? (s[(s.length - 1) / 2] ?? 0) : ((s[s.length / 2 - 1] ?? 0) + (s[s.length / 2] ?? 0)) / 2
  return `min ${(s[0] ?? 0).toFixed(2)} s  median ${median.toFixed(2)} s  max ${(s.at(-1) ?? 0).toFixed(2)} s`
}

const walls = results.map((r) => r.wall)
process.stdout.write(`\nverify x${rounds} (${config})\n`)
process.stdout.write(`  wall clock (CLI process): ${stats(walls)}\n`)
process.stdout.write(`  inside verify:            ${stats(results.map((r) => r.verify))}\n`)
const median = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)] ?? Infinity
process.stdout.write(`  target < ${TARGET_S} s wall: ${median < TARGET_S ? 'ok' : 'OVER'}; load average ${loadavg()[0]?.toFixed(1)}\n`)
