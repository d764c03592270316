import {mkdtempSync} from 'node:fs'
import {rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {StepContext} from '../../src/engine/step.js'
import {incomingPath, keepPackage} from '../../src/packages/cache.js'
import {planPhpSource, phpSourceInputs} from '../../src/steps/php-source.js'
import {buildScript, packScript} from '../../src/steps/support/build.js'
import {compileOrInstallActions, shippingFor} from '../../src/steps/support/ship.js'
import {brief} from './action-brief.js'
import {FACTS, webCtx} from './steps-support-fixtures.js'

// made at collection: the describe blocks build their contexts then
const cacheDir = mkdtempSync(join(tmpdir(), 'lnmp-ship-'))
afterAll(async () => {
  await rm(cacheDir, {recursive: true, force: true})
})

const parts = (facts: StepContext['facts']) => ({
  name: 'nginx',
  version: '1.26.3',
  sourceSha256: 'c'.repeat(64),
  args: ['--prefix=/application/nginx-1.26.3-00000000'],
  platform: facts,
  libraries: [],
})

const RUNTIME = {
  files: '/application/nginx-1.26.3-00000000/sbin/nginx',
  manifest: '/application/nginx-1.26.3-00000000/.lnmp-deploy-runtime',
}

/** web02 of a cluster whose builder is web01, with web01's facts. */
function follower(builderFacts = FACTS.debian13): StepContext {
  const ctx = webCtx(FACTS.debian13)
  return {...ctx, packages: {cacheDir, builder: {name: 'web01', facts: builderFacts}}}
}

describe('shippingFor', () => {
  it('is nothing without a package cache: the compile alone, as before', () => {
    expect(shippingFor(webCtx(FACTS.debian13), parts, RUNTIME)).toBeUndefined()
  })

  it('names the builder only when it compiles the same key', () => {
    expect(shippingFor(follower(), parts, RUNTIME)?.builder).toBe('web01')
    expect(shippingFor(follower(FACTS.debian12), parts, RUNTIME)?.builder).toBeUndefined()
    expect(shippingFor(follower(), parts, RUNTIME)).toMatchObject({
      path: expect.stringMatching(/^\/var\/cache\/lnmp-deploy\/packages\/nginx-1\.26\.3-[0-9a-f]{16}\.tar\.gz$/),
      cacheDir,
      kept: false,
    })
  })
})

describe('compileOrInstallActions', () => {
  const ctx = follower()
  const want = phpSourceInputs(ctx)
  const what = 'build PHP'
  const fresh = {marker: undefined, tarballSha256: undefined, packageOnHost: false}
  const built = {marker: want.job.marker, tarballSha256: want.tarball.sha256, packageOnHost: true}

  it('compiles, packs and keeps when the cache has no package; says the builder goes first', () => {
    const actions = compileOrInstallActions(want, fresh, what)
    expect(brief(actions).slice(-3)).toEqual([
      `run:forget an earlier result of job ${want.job.id} whose install is gone`,
      'run:build PHP (unless web01, which builds first, keeps its package)',
      `keep:${want.shipping?.key}`,
    ])
    // web01 was to build it: web02 compiles only when web01 kept nothing, and then needs the compiler after all
    expect(actions[0]).toEqual({
      kind: 'run',
      description: "install the compiler and libraries web01's package would have spared",
      command: expect.stringContaining('install -y --no-install-recommends build-essential pkg-config'),
    })
    expect(actions[1]).toMatchObject({kind: 'run', description: 'download php 8.4.24 and check its sha256'})
    expect(actions.at(-1)).toEqual({kind: 'keep-package', path: want.shipping?.path, key: want.shipping?.key, cacheDir})
  })

  it('installs the kept package instead: upload, checked, then unpack; no compile', async () => {
    const key = want.shipping?.key ?? ''
    await keepPackage(
      cacheDir,
      key,
      await (async () => {
        const p = await incomingPath(cacheDir)
        await writeFile(p, 'a package')
        return p
      })(),
      'web01',
    )
    const now = phpSourceInputs(ctx)
    expect(now.shipping?.kept).toBe(true)
    expect(compileOrInstallActions(now, fresh, what)).toEqual([
      {kind: 'upload-package', path: now.shipping?.path, key, cacheDir},
      {
        kind: 'run',
        description: 'install the package of build PHP and the runtime packages it lists (no compile)',
        command: [
          `tar -C / -xzf ${now.shipping?.path} --exclude=.${now.job.markerPath}`,
          `{ pkgs=$(grep -E '^[A-Za-z0-9][A-Za-z0-9.+_-]*$' ${now.build.dir}/.lnmp-deploy-runtime | tr '\\n' ' '); if [ -n "$pkgs" ]; then if ! ls /var/lib/apt/lists | grep -q _Packages; then apt-get -o DPkg::Lock::Timeout=600 update; fi && { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $pkgs || { apt-get -o DPkg::Lock::Timeout=600 update && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $pkgs; }; }; fi; }`,
          `tar -C / -xzf ${now.shipping?.path} .${now.job.markerPath}`,
        ].join(' &&\n'),
      },
    ])
    // the whole step's plan: nothing else, php.ini comes in the package
    expect(brief(planPhpSource({...fresh, iniPresent: false}, now).actions)).toEqual([
      `upload-package:${key}`,
      `run:install the package of build PHP ${now.build.version} into ${now.build.dir} and the runtime packages it lists (no compile)`,
    ])
    // built: nothing; the package is kept already
    expect(compileOrInstallActions(now, built, what)).toEqual([])
  })

  it('brings back a package only this host has (a keep that a killed run never did)', () => {
    const other = phpSourceInputs({...ctx, config: {...ctx.config, php: {...ctx.config.php, features: ['fpm', 'mysqli']}}})
    expect(other.shipping?.kept).toBe(false)
    const done = {marker: other.job.marker, tarballSha256: other.tarball.sha256}
    expect(brief(compileOrInstallActions(other, {...done, packageOnHost: true}, what))).toEqual([`keep:${other.shipping?.key}`])
    expect(compileOrInstallActions(other, {...done, packageOnHost: false}, what)).toEqual([])
  })
})

describe('packScript', () => {
  it('packs the install with its marker last, world-readable for the SFTP pull, renamed into place', () => {
    expect(
      packScript(
        {path: '/var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz', contents: ["'./application/php-8.4.24-0123abcd'"]},
        '/application/php-8.4.24-0123abcd/.lnmp-deploy-build.json',
      ),
    ).toEqual([
      "echo '== pack /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz'",
      'install -d -m 0755 /var/cache/lnmp-deploy/packages',
      'rm -f /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar.gz',
      "tar -C / --exclude=./application/php-8.4.24-0123abcd/.lnmp-deploy-build.json -cf /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar './application/php-8.4.24-0123abcd'",
      'tar -C / -rf /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar ./application/php-8.4.24-0123abcd/.lnmp-deploy-build.json',
      'gzip -1 /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar',
      'chmod 0644 /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar.gz',
      'mv -f /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz.tar.gz /var/cache/lnmp-deploy/packages/php-8.4.24-0123456789abcdef.tar.gz',
    ])
  })

  it('is part of a shipped build job, after the marker; a build without a cache packs nothing', () => {
    const shipped = buildScript(phpSourceInputs(follower()).job)
    expect(shipped.indexOf('== pack ')).toBeGreaterThan(shipped.indexOf('.lnmp-deploy-build.json.tmp'))
    expect(buildScript(phpSourceInputs(webCtx(FACTS.debian13)).job)).not.toContain('== pack ')
  })
})
