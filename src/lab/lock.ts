import {mkdir, open, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {LabError} from '../errors.js'

/**
 * One lab-changing operation at a time on this machine (two `lab up`s would race for the bridge and the
 * deltas). The lock file holds the owner's pid; a lock whose owner is gone is taken over.
 */
let held = 0

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

async function acquire(file: string, timeoutMs: number): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const fh = await open(file, 'wx')
      await fh.writeFile(`${process.pid}\n`)
      await fh.close()
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10)
    if (!Number.isInteger(owner) || owner === process.pid || !alive(owner)) {
      await rm(file, {force: true})
      continue
    }
    if (Date.now() > deadline) throw new LabError(`another lab operation (pid ${owner}) holds ${file}`, {hint: 'wait for it to finish'})
    await new Promise((r) => setTimeout(r, 250))
  }
}

export async function withLabLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  if (held === 0) await acquire(file, timeoutMs)
  held++
  try {
    return await fn()
  } finally {
    held--
    if (held === 0) await rm(file, {force: true})
  }
}
