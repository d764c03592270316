import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createHash} from 'node:crypto'
import {describe, expect, it} from 'vitest'

import {ArtifactError, ExitCode} from '../../src/errors.js'
import {fetchTarballActions, sourceTarball} from '../../src/steps/support/source.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

const NGINX_SHA = '9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31'

function localFile(content: string): {path: string; sha256: string} {
  const dir = mkdtempSync(join(tmpdir(), 'lnmp-src-'))
  const path = join(dir, 'nginx_1.22.1.orig.tar.gz')
  writeFileSync(path, content)
  return {path, sha256: createHash('sha256').update(content).digest('hex')}
}

describe('source tarballs', () => {
  it("downloads the table's verified URL when no local file is configured", () => {
    const t = sourceTarball('nginx', '1.22.1', webCtx(FACTS.debian12))
    expect(t).toEqual({
      artifact: 'nginx',
      version: '1.22.1',
      fileName: 'nginx_1.22.1.orig.tar.gz',
      sha256: NGINX_SHA,
      path: '/var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz',
      url: 'http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.22.1.orig.tar.gz',
    })
    expect(fetchTarballActions(t, undefined)).toEqual([
      {
        kind: 'run',
        description: 'download nginx 1.22.1 and check its sha256',
        command:
          'mkdir -p /var/lib/lnmp-deploy/src && curl -fsSL --retry 3 -o /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz.download ' +
          'http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.22.1.orig.tar.gz && ' +
          `{ printf '%s  %s\\n' ${NGINX_SHA} /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz.download | sha256sum -c - || ` +
          '{ rm -f /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz.download; exit 1; }; } && ' +
          'mv -f /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz.download /var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz',
      },
    ])
  })

  it('fetches nothing when the host already has it with the right sha256', () => {
    const t = sourceTarball('nginx', '1.22.1', webCtx(FACTS.debian12))
    expect(fetchTarballActions(t, NGINX_SHA)).toEqual([])
  })

  it('uploads a configured local file after checking it on the controller', () => {
    const f = localFile('nginx source')
    const ctx = webCtx(
      FACTS.debian12,
      {artifacts: {nginx: {file: f.path, sha256: f.sha256}}},
      new Map([['nginx', {localPath: f.path, sha256: f.sha256, fileName: 'nginx_1.22.1.orig.tar.gz'}]]),
    )
    const t = sourceTarball('nginx', '1.22.1', ctx)
    expect(fetchTarballActions(t, 'stale')).toEqual([
      {kind: 'upload', path: '/var/lib/lnmp-deploy/src/nginx_1.22.1.orig.tar.gz', localPath: f.path, sha256: f.sha256, mode: 0o644},
    ])
  })

  it('refuses a local file whose sha256 is not the configured one: ArtifactError naming host and artifact', () => {
    const f = localFile('tampered')
    const wrong = 'ef'.repeat(32)
    const ctx = webCtx(
      FACTS.debian12,
      {artifacts: {nginx: {file: f.path, sha256: wrong}}},
      new Map([['nginx', {localPath: f.path, sha256: wrong, fileName: 'x'}]]),
    )
    let error: unknown
    try {
      sourceTarball('nginx', '1.22.1', ctx)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ArtifactError)
    expect((error as ArtifactError).exitCode).toBe(ExitCode.artifact)
    expect((error as ArtifactError).message).toBe(`web01: nginx 1.22.1: ${f.path} has sha256 ${f.sha256}, the config says ${wrong}`)
  })

  it('refuses a version without a verified sha256, naming the host', () => {
    expect(() => sourceTarball('nginx', '1.25.9', webCtx(FACTS.debian12))).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.artifact,
        message: 'web01: nginx 1.25.9: no verified sha256 for nginx 1.25.9; set artifacts.nginx.sha256',
      }),
    )
  })

  it("uploads a table version found in the controller's artifactCache, checked against the table's sha256", () => {
    const f = localFile('nginx source')
    const cache = join(f.path, '..')
    const ctx = {...webCtx(FACTS.debian12), sourceCache: cache}
    // the table's sha256 is not this file's: the cached file is refused with what to do, before anything changes
    expect(() => sourceTarball('nginx', '1.22.1', ctx)).toThrow(
      expect.objectContaining({
        exitCode: ExitCode.artifact,
        message: `web01: nginx 1.22.1: ${f.path} in artifactCache has sha256 ${f.sha256}, the artifact table says ${NGINX_SHA}`,
      }),
    )
    // a version the cache does not hold is downloaded by the host as before
    expect(sourceTarball('nginx', '1.26.3', ctx).url).toBe('http://deb.debian.org/debian/pool/main/n/nginx/nginx_1.26.3.orig.tar.gz')
  })

  it('takes the cached file when its sha256 is the table one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lnmp-src-'))
    const content = 'stand-in for the verified tarball'
    const sha = createHash('sha256').update(content).digest('hex')
    writeFileSync(join(dir, 'php-8.3.14.tar.xz'), content)
    // 8.3.14 has no table sha256: the config gives one with a url, and the cache answers for that file name
    const ctx = {
      ...webCtx(FACTS.debian12, {artifacts: {php: {url: 'https://www.php.net/distributions/php-8.3.14.tar.xz', sha256: sha}}}),
      sourceCache: dir,
    }
    const t = sourceTarball('php', '8.3.14', ctx)
    expect(fetchTarballActions(t, undefined)).toEqual([
      {
        kind: 'upload',
        path: '/var/lib/lnmp-deploy/src/php-8.3.14.tar.xz',
        localPath: join(dir, 'php-8.3.14.tar.xz'),
        sha256: sha,
        mode: 0o644,
      },
    ])
  })
})
