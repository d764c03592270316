import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Every folder under src/, as the map writes it: `src/steps/support/`. */
function srcFolders(rel = 'src'): string[] {
  return readdirSync(join(root, rel), {withFileTypes: true})
    .filter((e) => e.isDirectory())
    .flatMap((e) => [`${rel}/${e.name}/`, ...srcFolders(`${rel}/${e.name}`)])
}

/** The first word of each line of the README's Development map (the fenced block after `## Development`). */
function mapEntries(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const section = readme.split(/^## Development$/m)[1] ?? ''
  const block = /^```\n([\s\S]*?)^```$/m.exec(section)?.[1] ?? ''
  return block
    .split('\n')
    .map((line) => line.split(/\s+/)[0] ?? '')
    .filter((word) => word !== '')
}

describe("the README's Development map", () => {
  it('is found', () => {
    expect(mapEntries()).toContain('src/engine/')
  })

  it('lists every folder of src/', () => {
    const listed = new Set(mapEntries())
    expect(srcFolders().filter((folder) => !listed.has(folder))).toEqual([])
  })

  it('lists no folder of src/ that is gone', () => {
    const gone = mapEntries().filter((e) => e.startsWith('src/') && e.endsWith('/'))
    expect(gone.filter((folder) => !(existsSync(join(root, folder)) && statSync(join(root, folder)).isDirectory()))).toEqual([])
  })
})
