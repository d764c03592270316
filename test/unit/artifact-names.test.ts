import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {resolveArtifact} from '../../src/artifacts.js'
import {parseConfig} from '../../src/config/load.js'
import {artifactFileName, artifactFileNameProblem} from '../../src/config/schema.js'
import {ConfigError, ExitCode} from '../../src/errors.js'
import {type BuildJob, buildScript} from '../../src/steps/support/build.js'
import {cachedTarballPath, sourceTarball} from '../../src/steps/support/source.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

/**
 * Issue 8: an artifact's file name comes from a free string in the config (`url` or `file`) and reaches a
 * root shell and a path on the host. The schema refuses anything but a plain tarball name; the build quotes
 * it anyway, and the cache path refuses to leave the cache.
 */

const SHA = 'a'.repeat(64)
const HOSTS = `version: 1
hosts:
  - name: web01
    address: 10.0.0.7
    roles: [web]
`
const RULE = 'letters, digits, . _ + - (a letter or digit first), ending in .tar.gz, .tgz, .tar.xz'

/** A config whose php artifact is the given `url: ...` or `file: ...` line; its value sits on line 8. */
function withPhpArtifact(line: string): string {
  return `${HOSTS}artifacts:\n  php:\n    ${line}\n    sha256: ${SHA}\n`
}

function problemsOf(text: string): string[] {
  try {
    parseConfig(text, 'c.yml')
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError)
    expect((error as ConfigError).exitCode).toBe(ExitCode.config)
    return (error as Error).message.split('\n').slice(1)
  }
  throw new Error('expected a ConfigError')
}

describe('artifact file names at config load', () => {
  it.each([
    ['url: "https://example.org/dl/php$(touch x).tar.xz"', 'php$(touch x).tar.xz'],
    ['url: https://example.org/dl/..%2F..%2Fetc%2Fx.tar.xz', '../../etc/x.tar.xz'],
    ['url: https://example.org/dl/a%20b.tar.xz', 'a b.tar.xz'],
    ['url: https://example.org/dl/php%0A.tar.xz', 'php\\n.tar.xz'],
    ['url: "https://example.org/dl/php`id`.tar.xz"', 'php`id`.tar.xz'],
    ['url: https://example.org/dl/php-8.3.1.tar.bz2', 'php-8.3.1.tar.bz2'],
    ['url: https://example.org/dl/.hidden.tar.xz', '.hidden.tar.xz'],
  ])('refuses %s, naming artifacts.php.url and what is allowed', (line, decoded) => {
    expect(problemsOf(withPhpArtifact(line))).toEqual([`  c.yml:8:10: artifacts.php.url: the file name must be ${RULE}; got "${decoded}"`])
  })

  it.each([
    ['file: "cache/php$(touch x).tar.xz"', 'php$(touch x).tar.xz'],
    ['file: cache/..%2F..%2Fetc%2Fx.tar.xz', '..%2F..%2Fetc%2Fx.tar.xz'],
    ['file: "cache/a b.tar.xz"', 'a b.tar.xz'],
    ['file: "cache/php`id`.tar.xz"', 'php`id`.tar.xz'],
    ['file: cache/..', '..'],
  ])('refuses %s, naming artifacts.php.file and what is allowed', (line, base) => {
    expect(problemsOf(withPhpArtifact(line))).toEqual([`  c.yml:8:11: artifacts.php.file: the file name must be ${RULE}; got "${base}"`])
  })

  it('refuses control characters and newlines anywhere in a file path', () => {
    expect(problemsOf(withPhpArtifact('file: "cache\\ndir/php.tar.xz"'))).toEqual([
      '  c.yml:8:11: artifacts.php.file: must not contain control characters or newlines',
    ])
    expect(problemsOf(withPhpArtifact('file: "cache/php\\t.tar.xz"'))).toEqual([
      '  c.yml:8:11: artifacts.php.file: must not contain control characters or newlines',
    ])
  })

  it('refuses a url whose last segment does not decode', () => {
    expect(problemsOf(withPhpArtifact('url: https://example.org/dl/php%E0%A4%A.tar.xz'))).toEqual([
      `  c.yml:8:10: artifacts.php.url: its last path segment does not decode; it must be ${RULE}`,
    ])
  })

  it('accepts plain tarball names, decoded from a url or the base name of a file in any directory', () => {
    const url = parseConfig(withPhpArtifact('url: https://example.org/dl/php-8.3.1%2Bdeb1.tar.xz?mirror=1'), 'c.yml')
    expect(url.config.artifacts.php).toEqual({url: 'https://example.org/dl/php-8.3.1%2Bdeb1.tar.xz?mirror=1', sha256: SHA})
    expect(resolveArtifact('php', '8.3.1', url.config).fileName).toBe('php-8.3.1+deb1.tar.xz')

    const file = parseConfig(withPhpArtifact('file: "../my sources/php8.2_8.2.36.orig.tar.xz"'), 'c.yml')
    expect(resolveArtifact('php', '8.2.36', file.config).fileName).toBe('php8.2_8.2.36.orig.tar.xz')
    for (const name of ['nginx_1.22.1.orig.tar.gz', 'memcache-4.0.5.2.tgz', 'phpMyAdmin-5.2.1-debian-lab.tar.gz', '0._+-Zz.tgz']) {
      expect(artifactFileNameProblem(name)).toBeUndefined()
    }
  })

  it('derives the name a host gets from file first, else from the url', () => {
    expect(artifactFileName({url: 'https://example.org/a.tar.gz', file: 'x/b.tar.gz'})).toBe('b.tar.gz')
    expect(artifactFileName({url: 'https://example.org/a%2Bb.tar.gz'})).toBe('a+b.tar.gz')
    // a local file's name is its name on disk: nothing is decoded
    expect(artifactFileName({file: 'x/a%2Bb.tar.gz'})).toBe('a%2Bb.tar.gz')
  })
})

describe('the host cache path of a tarball', () => {
  it('is a plain file in the cache', () => {
    expect(cachedTarballPath('php-8.3.1+deb1.tar.xz')).toBe('/var/lib/lnmp-deploy/src/php-8.3.1+deb1.tar.xz')
  })

  it.each(['../../etc/x.tar.xz', '..', '.', '', 'sub/x.tar.xz', '/etc/x.tar.xz', 'a/../x.tar.xz'])(
    'refuses %j, which would not stay in the cache',
    (name) => {
      expect(() => cachedTarballPath(name)).toThrow(
        expect.objectContaining({
          exitCode: ExitCode.artifact,
          message: `file name ${JSON.stringify(name)} is not a plain file name: it would not stay in /var/lib/lnmp-deploy/src`,
        }),
      )
    },
  )

  it('refuses, naming host and artifact, an override that skipped the schema', () => {
    const ctx = webCtx(FACTS.debian12)
    const config = {...ctx.config, artifacts: {php: {file: 'cache/..', sha256: SHA}}}
    expect(() => sourceTarball('php', '8.3.1', {...ctx, config})).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.artifact,
        message: 'web01: php 8.3.1: file name ".." is not a plain file name: it would not stay in /var/lib/lnmp-deploy/src',
      }),
    )
  })
})

describe('the build job quotes the file name', () => {
  const job = (fileName: string): BuildJob => ({
    id: 'php-8.3.1-1a2b3c4d',
    tarball: {path: `/var/lib/lnmp-deploy/src/${fileName}`, sha256: 'ab'.repeat(32), fileName},
    srcDir: '/usr/local/src/lnmp-deploy/php-8.3.1',
    configure: ['./configure'],
    cores: 1,
    markerPath: '/application/php-8.3.1-1a2b3c4d/.lnmp-deploy-build.json',
    marker: {name: 'php', version: '8.3.1', sha256: 'ab'.repeat(32), args: []},
    ccache: false,
  })
  const linesOf = (fileName: string): string[] => buildScript(job(fileName)).split('\n')

  it('with every character the schema allows, in single quotes', () => {
    expect(linesOf('0._+-Zz.tgz').slice(0, 10)).toEqual([
      'set -eu',
      "echo '== check 0._+-Zz.tgz'",
      `printf '%s  %s\\n' ${'ab'.repeat(32)} /var/lib/lnmp-deploy/src/0._+-Zz.tgz | sha256sum -c -`,
      "echo '== unpack into /usr/local/src/lnmp-deploy/php-8.3.1'",
      'rm -rf /usr/local/src/lnmp-deploy/php-8.3.1 /usr/local/src/lnmp-deploy/php-8.3.1.unpack',
      'mkdir -p /usr/local/src/lnmp-deploy/php-8.3.1.unpack',
      'tar -xf /var/lib/lnmp-deploy/src/0._+-Zz.tgz -C /usr/local/src/lnmp-deploy/php-8.3.1.unpack',
      'set -- /usr/local/src/lnmp-deploy/php-8.3.1.unpack/*/',
      `if [ $# -ne 1 ] || [ ! -d "$1" ]; then echo 'expected one directory in 0._+-Zz.tgz, found:' "$*"; exit 1; fi`,
      'mv "$1" /usr/local/src/lnmp-deploy/php-8.3.1',
    ])
  })

  it('even with a name the schema would refuse', () => {
    const lines = linesOf("php$(touch x)`id`'.tar.xz")
    expect(lines[1]).toBe(`echo '== check php$(touch x)\`id\`'"'"'.tar.xz'`)
    expect(lines[8]).toBe(
      `if [ $# -ne 1 ] || [ ! -d "$1" ]; then echo 'expected one directory in php$(touch x)\`id\`'"'"'.tar.xz, found:' "$*"; exit 1; fi`,
    )
  })

  describe('run by sh', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnmp-artifact-names-'))
    afterAll(() => rmSync(dir, {recursive: true, force: true}))

    it('prints the hostile name and runs none of it', () => {
      const line = linesOf('php$(touch x)`touch y`.tar.xz')[1] ?? ''
      const result = spawnSync('sh', ['-c', line], {cwd: dir, encoding: 'utf8'})
      expect(result.stdout).toBe('== check php$(touch x)`touch y`.tar.xz\n')
      expect(existsSync(join(dir, 'x')) || existsSync(join(dir, 'y'))).toBe(false)
    })
  })
})
