import {chmod, mkdtemp, readFile, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {describeAction} from '../../src/engine/describe.js'
import {redact} from '../../src/redact.js'
import {generateSecret, loadOrCreateSecrets, secretsPath, withGeneratedSecrets} from '../../src/secrets/store.js'

const fresh = () => mkdtemp(join(tmpdir(), 'lnmp-secrets-'))

describe('generated secrets store', () => {
  it('creates the file once, mode 0600, and returns the same values on every later run', async () => {
    const dir = await fresh()
    const first = await withGeneratedSecrets(dir, new Map())
    expect([...first.keys()].sort()).toEqual(['app.blowfishSecret', 'database.appPassword', 'database.rootPassword'])
    for (const v of first.values()) expect(v).toMatch(/^[A-Za-z0-9_-]{32}$/)
    expect((await stat(secretsPath(dir))).mode & 0o777).toBe(0o600)
    const second = await withGeneratedSecrets(dir, new Map())
    expect(second).toEqual(first)
  })

  it('keeps a value the config gives and never generates (or stores) one for it', async () => {
    const dir = await fresh()
    const merged = await withGeneratedSecrets(
      dir,
      new Map([
        ['database.appPassword', 'given'],
        ['ssh.sudoPassword', 'sudo'],
      ]),
    )
    expect(merged.get('database.appPassword')).toBe('given')
    expect(merged.get('ssh.sudoPassword')).toBe('sudo')
    const stored = JSON.parse(await readFile(secretsPath(dir), 'utf8')) as Record<string, string>
    expect(Object.keys(stored).sort()).toEqual(['app.blowfishSecret', 'database.rootPassword'])
  })

  it('adds a missing key without changing the ones already stored', async () => {
    const dir = await fresh()
    const before = await loadOrCreateSecrets(dir, ['database.rootPassword'])
    const after = await loadOrCreateSecrets(dir, ['database.rootPassword', 'app.blowfishSecret'])
    expect(after.get('database.rootPassword')).toBe(before.get('database.rootPassword'))
    expect(after.get('app.blowfishSecret')).toMatch(/^[A-Za-z0-9_-]{32}$/)
  })

  it('two runs starting at once agree on the values', async () => {
    const dir = await fresh()
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => loadOrCreateSecrets(dir, ['database.appPassword'])))
    expect(b).toEqual(a)
    expect(c).toEqual(a)
  })

  it('tightens a loosened file and refuses a broken one', async () => {
    const dir = await fresh()
    await loadOrCreateSecrets(dir, ['app.blowfishSecret'])
    await chmod(secretsPath(dir), 0o644)
    await loadOrCreateSecrets(dir, ['app.blowfishSecret'])
    expect((await stat(secretsPath(dir))).mode & 0o777).toBe(0o600)
    await writeFile(secretsPath(dir), '{"database.appPassword": 3}')
    await expect(loadOrCreateSecrets(dir, ['database.appPassword'])).rejects.toThrow('one JSON object of non-empty strings')
  })

  it('is redacted wherever the engine shows text: a run action that carries one, a log line', async () => {
    const dir = await fresh()
    const secrets = await withGeneratedSecrets(dir, new Map())
    const pw = secrets.get('database.appPassword') as string
    expect(describeAction({kind: 'run', description: `set password ${pw}`, command: 'x', secretValues: [pw]})).not.toContain(pw)
    expect(redact(`IDENTIFIED BY '${pw}'`, secrets.values())).toBe("IDENTIFIED BY '***'")
  })

  it('makes distinct values', () => {
    expect(new Set(Array.from({length: 50}, generateSecret)).size).toBe(50)
  })
})
