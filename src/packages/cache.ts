import {createHash, randomBytes} from 'node:crypto'
import {createReadStream, existsSync, readFileSync} from 'node:fs'
import {mkdir, rename, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

/**
 * The controller's package cache: a compiled prefix packed on the host that built it, kept here by the
 * sha256 of its bytes (sha256/<sum>.tar.gz), and found by its build key through a small index file
 * (<key>.json). A package outlives the cluster that made it: a replaced server, `lab reset` or the next
 * cluster of the same platform installs it instead of compiling.
 */
export interface PackageRecord {
  key: string
  sha256: string
  size: number
  /** the host that compiled it, and when it was kept */
  builtOn: string
  keptAt: string
}

const KEY = /^[a-z0-9]+-[0-9][0-9.]*-[0-9a-f]{16}$/

function checkKey(key: string): void {
  // keys come from buildKey; this fence keeps any other string out of the cache's paths
  if (!KEY.test(key)) throw new Error(`not a build key: ${JSON.stringify(key)}`)
}

export function packageIndexPath(cacheDir: string, key: string): string {
  checkKey(key)
  return join(cacheDir, `${key}.json`)
}

export function packageBlobPath(cacheDir: string, sha256: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a sha256: ${JSON.stringify(sha256)}`)
  return join(cacheDir, 'sha256', `${sha256}.tar.gz`)
}

/** The package kept for a key, when its index and its bytes are both there. */
export function findPackage(cacheDir: string, key: string): PackageRecord | undefined {
  const index = packageIndexPath(cacheDir, key)
  if (!existsSync(index)) return undefined
  let record: PackageRecord
  try {
    record = JSON.parse(readFileSync(index, 'utf8')) as PackageRecord
  } catch {
    return undefined
  }
  if (record.key !== key || typeof record.sha256 !== 'string') return undefined
  return existsSync(packageBlobPath(cacheDir, record.sha256)) ? record : undefined
}

async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** A temp path inside the cache for a download: the same filesystem, so keeping it is a rename. */
export async function incomingPath(cacheDir: string): Promise<string> {
  await mkdir(join(cacheDir, 'sha256'), {recursive: true})
  return join(cacheDir, `.incoming-${randomBytes(6).toString('hex')}`)
}

/**
 * Moves a downloaded package into the cache under its sha256, then points the key at it; the index is
 * written last (temp + rename), so a key never names bytes that are not there.
 */
export async function keepPackage(
  cacheDir: string,
  key: string,
  downloaded: string,
  builtOn: string,
  now = new Date(),
): Promise<PackageRecord> {
  checkKey(key)
  try {
    const sha256 = await fileSha256(downloaded)
    const {size} = await stat(downloaded)
    await mkdir(join(cacheDir, 'sha256'), {recursive: true})
    await rename(downloaded, packageBlobPath(cacheDir, sha256))
    const record: PackageRecord = {key, sha256, size, builtOn, keptAt: now.toISOString()}
    const index = packageIndexPath(cacheDir, key)
    const tmp = `${index}.${randomBytes(4).toString('hex')}`
    await writeFile(tmp, `${JSON.stringify(record, null, 2)}\n`)
    await rename(tmp, index)
    return record
  } finally {
    await rm(downloaded, {force: true})
  }
}
