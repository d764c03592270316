import {describe, expect, it} from 'vitest'

import {buildActions, buildHash, type BuildJob, buildScript, parseMarker, sameBuild} from '../../src/steps/support/build.js'

const job: BuildJob = {
  id: 'php-8.2.32-1a2b3c4d',
  tarball: {path: '/var/lib/lnmp-deploy/src/php.tar.xz', sha256: 'ab'.repeat(32), fileName: 'php.tar.xz'},
  srcDir: '/usr/local/src/lnmp-deploy/php-8.2.32',
  configure: ['./configure', '--prefix=/application/php-8.2.32-1a2b3c4d', '--with-curl'],
  cores: 2,
  afterInstall: ['echo after'],
  markerPath: '/application/php-8.2.32-1a2b3c4d/.lnmp-deploy-build.json',
  marker: {name: 'php', version: '8.2.32', sha256: 'ab'.repeat(32), args: ['--prefix=/application/php-8.2.32-1a2b3c4d', '--with-curl']},
  ccache: true,
}

describe('build job script', () => {
  const lines = buildScript(job).trim().split('\n')

  it('checks the tarball before unpacking it fresh, same path on every host', () => {
    expect(lines[0]).toBe('set -eu')
    expect(lines[2]).toBe(`printf '%s  %s\\n' ${'ab'.repeat(32)} /var/lib/lnmp-deploy/src/php.tar.xz | sha256sum -c -`)
    expect(lines.indexOf('rm -rf /usr/local/src/lnmp-deploy/php-8.2.32 /usr/local/src/lnmp-deploy/php-8.2.32.unpack')).toBeGreaterThan(2)
    expect(lines).toContain('tar -xf /var/lib/lnmp-deploy/src/php.tar.xz -C /usr/local/src/lnmp-deploy/php-8.2.32.unpack')
    expect(lines).toContain('cd /usr/local/src/lnmp-deploy/php-8.2.32')
  })

  it('compiles through ccache with a base dir when the host has it', () => {
    expect(lines).toContain(
      "  export CC='ccache gcc' CXX='ccache g++' CCACHE_DIR=/var/cache/lnmp-deploy/ccache CCACHE_BASEDIR=/usr/local/src/lnmp-deploy",
    )
    expect(lines).toContain('  export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime')
    expect(buildScript({...job, ccache: false})).not.toContain('ccache')
  })

  it('configures, makes in parallel with a serial fallback, installs, then writes the marker last', () => {
    const configure = lines.indexOf('./configure --prefix=/application/php-8.2.32-1a2b3c4d --with-curl')
    const make = lines.indexOf('make -j2 || { echo "== make -j2 failed, retrying serially"; make; }')
    const install = lines.indexOf('make install')
    const after = lines.indexOf('echo after')
    const marker = lines.findIndex((l) => l.startsWith('mv -f /application/php-8.2.32-1a2b3c4d/.lnmp-deploy-build.json.tmp '))
    expect([configure, make, install, after, marker].every((i) => i > 0)).toBe(true)
    expect(configure < make && make < install && install < after && after < marker).toBe(true)
    expect(lines[marker - 1]).toContain(JSON.stringify(job.marker))
    expect(buildScript({...job, cores: 1})).toContain('\nmake\n')
  })

  it('runs phpize-style preparation before configure', () => {
    const text = buildScript({...job, prepare: ['/application/php/bin/phpize']})
    expect(text.indexOf('/application/php/bin/phpize\n')).toBeLessThan(text.indexOf('./configure'))
  })

  it('is one detached job in a build slot, after forgetting a stale result', () => {
    const [forget, run] = buildActions(job, 'build PHP')
    expect(forget).toEqual({
      kind: 'run',
      description: 'forget an earlier result of job php-8.2.32-1a2b3c4d whose install is gone',
      command:
        'if [ ! -e /application/php-8.2.32-1a2b3c4d/.lnmp-deploy-build.json ]; then rm -f /var/lib/lnmp-deploy/jobs/php-8.2.32-1a2b3c4d/exit; fi',
    })
    expect(run).toEqual({kind: 'run', description: 'build PHP', command: buildScript(job), job: 'php-8.2.32-1a2b3c4d', build: true})
  })
})

describe('markers', () => {
  it('parses what the job wrote and compares every field', () => {
    const found = parseMarker(`${JSON.stringify(job.marker)}\n`)
    expect(found).toEqual(job.marker)
    expect(sameBuild(found, job.marker)).toBe(true)
    expect(sameBuild(found, {...job.marker, args: [...job.marker.args, '--with-zip']})).toBe(false)
    expect(sameBuild(found, {...job.marker, sha256: 'cd'.repeat(32)})).toBe(false)
    expect(sameBuild(undefined, job.marker)).toBe(false)
  })
  it('treats no file, garbage or a partial object as no build', () => {
    expect(parseMarker('')).toBeUndefined()
    expect(parseMarker('{"name":')).toBeUndefined()
    expect(parseMarker('{"name":"php"}')).toBeUndefined()
  })
})

describe('build ids and symlinks', () => {
  it('hashes to 8 hex digits that change with any flag', () => {
    const a = buildHash({version: '8.2.32', args: ['--with-curl']})
    expect(a).toMatch(/^[0-9a-f]{8}$/)
    expect(buildHash({version: '8.2.32', args: ['--with-curl']})).toBe(a)
    expect(buildHash({version: '8.2.32', args: ['--with-curl', '--with-zip']})).not.toBe(a)
    expect(buildHash({version: '8.2.36', args: ['--with-curl']})).not.toBe(a)
  })
})
