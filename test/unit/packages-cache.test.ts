import {createHash} from 'node:crypto'
import {mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {findPackage, incomingPath, keepPackage, packageBlobPath, packageIndexPath} from '../../src/packages/cache.js'

let dir: string
const KEY = 'php-8.4.24-0123456789abcdef'

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-packages-'))
})
afterEach(async () => {
  await rm(dir, {recursive: true, force: true})
})

async function downloaded(content: string): Promise<string> {
  const path = await incomingPath(dir)
  await writeFile(path, content)
  return path
}

describe('the package cache', () => {
  it('keeps a package under the sha256 of its bytes and finds it by its key', async () => {
    const at = new Date('2026-12-01T10:00:00Z')
    const record = await keepPackage(dir, KEY, await downloaded('packed bytes'), 'web01', at)
    const sha256 = createHash('sha256').update('packed bytes').digest('hex')
    expect(record).toEqual({key: KEY, sha256, size: 12, builtOn: 'web01', keptAt: '2026-12-01T10:00:00.000Z'})
    expect(await readFile(packageBlobPath(dir, sha256), 'utf8')).toBe('packed bytes')
    expect(findPackage(dir, KEY)).toEqual(record)
    // nothing of the download is left beside them
    expect((await readdir(dir)).sort()).toEqual([`${KEY}.json`, 'sha256'])
  })

  it('stores identical bytes once for two keys', async () => {
    await keepPackage(dir, KEY, await downloaded('same'), 'web01')
    await keepPackage(dir, 'php-8.4.24-fedcba9876543210', await downloaded('same'), 'web02')
    expect(await readdir(join(dir, 'sha256'))).toHaveLength(1)
  })

  it('finds nothing for an unknown key, an unreadable index, or an index whose bytes are gone', async () => {
    expect(findPackage(dir, KEY)).toBeUndefined()
    const record = await keepPackage(dir, KEY, await downloaded('x'), 'web01')
    await rm(packageBlobPath(dir, record.sha256))
    expect(findPackage(dir, KEY)).toBeUndefined()
    await writeFile(packageIndexPath(dir, KEY), '{not json')
    expect(findPackage(dir, KEY)).toBeUndefined()
  })

  it('refuses a key or a sum that could leave the cache', () => {
    expect(() => packageIndexPath(dir, '../../etc/passwd')).toThrow('not a build key')
    expect(() => packageIndexPath(dir, 'php-8.4.24-0123/../../x')).toThrow('not a build key')
    expect(() => packageBlobPath(dir, '../x')).toThrow('not a sha256')
  })
})
