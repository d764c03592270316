/**
 * Times the lab's two promises: `lab up` on an existing base (target <= 15 s until four hosts answer SSH with
 * systemd running) and `lab reset` of one host (target <= 10 s). Needs root. Run: npx tsx bench/lab-bench.ts
 * It destroys the lab's hosts (not the base) to time a fresh `up`, and leaves the lab up only if it was up.
 */
import {baseBuilt} from '../src/lab/base.js'
import {labDestroy, labDown, labReset, labStatus, labUp} from '../src/lab/lab.js'
import {basePath, labPaths} from '../src/lab/paths.js'

interface Figure {
  what: string
  seconds: number
  target: number
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint()
  await fn()
  return Number(process.hrtime.bigint() - started) / 1e9
}

const paths = labPaths()
const wasUp = (await labStatus()).healthy
if (!baseBuilt(basePath(paths, 'bookworm'))) {
  process.stderr.write('no base yet: building it first (not timed, about 2-3 minutes)\n')
  await labUp()
}

const figures: Figure[] = []
await labDestroy()
figures.push({what: 'lab up, existing base, brand-new hosts', seconds: await timed(() => labUp()), target: 15})
await labDown()
figures.push({what: 'lab up, existing base, kept hosts', seconds: await timed(() => labUp()), target: 15})
figures.push({what: 'lab reset web02', seconds: await timed(() => labReset('web02')), target: 10})
figures.push({what: 'lab down', seconds: await timed(() => labDown()), target: 15})
if (wasUp) await labUp()

const load = (await import('node:os')).loadavg()[0]?.toFixed(1)
for (const f of figures) {
  process.stdout.write(
    `${f.what.padEnd(42)} ${f.seconds.toFixed(1).padStart(5)} s  (target <= ${f.target} s) ${f.seconds <= f.target ? 'ok' : 'OVER'}\n`,
  )
}
process.stdout.write(`load average at the end: ${load} on ${(await import('node:os')).cpus().length} cpus\n`)
