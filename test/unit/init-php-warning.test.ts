import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {formatInitReport, type InitDeps, runInit, type InitRequest} from '../../src/services/init.js'

/** `init --yes --no-connect`: nothing reaches the SSH layer, so its seam refuses every call. */
const noSsh = new Proxy({}, {get: () => () => Promise.reject(new Error('init --no-connect used SSH'))}) as InitDeps
const today = new Date('2026-12-01T09:00:00Z')

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lnmp-init-php-'))
})
afterAll(async () => {
  await rm(dir, {recursive: true, force: true})
})

function request(cwd: string, phpVersion?: string): InitRequest {
  return {
    flags: phpVersion ? {'php-version': phpVersion} : {},
    yes: true,
    output: 'lnmp-deploy.yml',
    force: false,
    connect: false,
    acceptNewHostKeys: false,
    bin: 'lnmp-deploy',
    cwd,
    today,
  }
}

describe('init --yes and the PHP end of life', () => {
  it('writes the PHP asked for, and warns when it is within 90 days of its end of life', async () => {
    const cwd = await mkdtemp(join(dir, 'php82-'))
    const result = await runInit(request(cwd, '8.2.32'), noSsh)
    expect(result.warnings).toEqual(['PHP 8.2.32 reaches its end of life on 2026-12-31 (30 days): set php.version to 8.4.24'])
    expect(await readFile(join(cwd, 'lnmp-deploy.yml'), 'utf8')).toMatch(/version: 8\.2\.32/)
    // the report on stdout stays as it was: the command prints warnings on stderr
    expect(formatInitReport(result).join('\n')).not.toContain('end of life')
  })

  it('warns about a PHP past its end of life', async () => {
    const result = await runInit(request(await mkdtemp(join(dir, 'php81-')), '8.1.33'), noSsh)
    expect(result.warnings).toEqual([
      'PHP 8.1.33 reached its end of life on 2025-12-31 and gets no security fixes: set php.version to 8.4.24',
    ])
  })

  it('says nothing for the default, PHP 8.4.24', async () => {
    const cwd = await mkdtemp(join(dir, 'default-'))
    const result = await runInit(request(cwd), noSsh)
    expect(result.warnings).toEqual([])
    expect(result.command).toContain('--nginx-version 1.26.3 --php-version 8.4.24')
  })
})
