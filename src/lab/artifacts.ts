import {createHash} from 'node:crypto'
import {createReadStream, existsSync} from 'node:fs'
import {mkdir, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {ArtifactError} from '../errors.js'
import {artifactManifestPath, readArtifactManifest, writeLabConfig, type LabArtifact, type LabArtifacts} from './client-files.js'
import {dscChecksums, origTarball} from './dsc.js'
import {run} from './exec.js'
import {withLabLock} from './lock.js'
import {labPaths, type LabPaths} from './paths.js'
import {buildPhpMyAdminArtifact} from './phpmyadmin-artifact.js'

/**
 * The source tarballs a deployment uploads from the controller (the lab hosts reach only the Debian mirror):
 * the upstream tarballs inside Debian's source packages. apt fetches them with a sources list and state of
 * the lab's own, so the machine's apt configuration is never touched; apt checks every file against the
 * signed Sources index, and we check the tarball against the .dsc and record its sha256.
 */

export interface SourceArtifactSpec {
  name: 'nginx' | 'php' | 'memcache'
  /** what `apt-get source` is asked for (package, package/suite or package=version), in order of preference */
  requests: string[]
  /** the upstream tarball's file name the request must yield */
  expect: RegExp
}

export const SOURCE_ARTIFACTS: readonly SourceArtifactSpec[] = [
  {name: 'nginx', requests: ['nginx/bookworm'], expect: /^nginx_1\.22\.1\.orig\.tar\.gz$/},
  // bookworm-security carries the newest 8.2 patch release; a mirror without the security pool still has bookworm's
  {name: 'php', requests: ['php8.2', 'php8.2/bookworm'], expect: /^php8\.2_8\.2\.\d+\.orig\.tar\.xz$/},
  // PECL memcache 8.2 (the PHP 8 line) is only in trixie's pool
  {name: 'memcache', requests: ['php-memcache/trixie'], expect: /^php-memcache_8\.2\.orig\.tar\.gz$/},
]

export const MIRROR = 'http://deb.debian.org/debian'

export function aptSourcesList(): string {
  return [
    '# lnmp-deploy lab: source packages for the lab artifacts (not the machine\'s apt sources)',
    `deb-src ${MIRROR} bookworm main`,
    'deb-src http://deb.debian.org/debian-security bookworm-security main',
    `deb-src ${MIRROR} trixie main`,
    '',
  ].join('\n')
}

/** apt-get options that point every piece of apt state we write at the lab's own directory. */
export function aptOptions(aptDir: string): string[] {
  const o = (k: string, v: string): string[] => ['-o', `${k}=${v}`]
  return [
    ...o('Dir::Etc::SourceList', path.join(aptDir, 'sources.list')),
    ...o('Dir::Etc::SourceParts', '/dev/null'),
    ...o('Dir::State::Lists', path.join(aptDir, 'lists')),
    ...o('Dir::Cache', path.join(aptDir, 'cache')),
    // the mirror may be a frozen snapshot; its Release files then look expired
    ...o('Acquire::Check-Valid-Until', 'false'),
    ...o('Acquire::Languages', 'none'),
    ...o('APT::Sandbox::User', 'root'),
  ]
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function stillValid(a: LabArtifact | undefined): Promise<boolean> {
  return a !== undefined && existsSync(a.file) && (await sha256File(a.file)) === a.sha256
}

async function fetchSource(spec: SourceArtifactSpec, paths: LabPaths, aptDir: string, log: (m: string) => void): Promise<LabArtifact> {
  const dir = path.join(paths.artifacts, spec.name)
  await rm(dir, {recursive: true, force: true})
  await mkdir(dir, {recursive: true})
  let failure: unknown
  for (const request of spec.requests) {
    failure = await run(`downloading the ${spec.name} source package (${request})`, 'apt-get', [...aptOptions(aptDir), 'source', '--download-only', '-q', request], {cwd: dir})
      .then(() => undefined)
      .catch((error: unknown) => error)
    if (failure === undefined) break
    log(`${spec.name}: ${request} could not be fetched, trying the next candidate`)
    for (const f of await readdir(dir)) await rm(path.join(dir, f), {recursive: true, force: true})
  }
  if (failure !== undefined) throw new ArtifactError(`${spec.name}: no candidate source package could be fetched`, {cause: failure, hint: String((failure as Error).message)})
  const dscFile = (await readdir(dir)).find((f) => f.endsWith('.dsc'))
  if (!dscFile) throw new ArtifactError(`${spec.name}: apt-get source left no .dsc in ${dir}`)
  const files = dscChecksums(await readFile(path.join(dir, dscFile), 'utf8'))
  const orig = origTarball([...files.keys()].filter((f) => spec.expect.test(f)))
  if (!orig) {
    throw new ArtifactError(`${spec.name}: ${dscFile} lists no tarball matching ${spec.expect} (it lists ${[...files.keys()].join(', ')})`)
  }
  const file = path.join(dir, orig.file)
  const sha256 = await sha256File(file)
  const expected = files.get(orig.file)?.sha256
  if (sha256 !== expected) throw new ArtifactError(`${spec.name}: ${orig.file} has sha256 ${sha256}, its .dsc says ${expected}`)
  return {file, sha256, version: orig.upstreamVersion}
}

export interface PrepareArtifactsOptions {
  log?: (m: string) => void
  paths?: LabPaths
  /** fetch again even when the cached tarballs still match their recorded sha256 */
  refresh?: boolean
  /** also build the phpMyAdmin tarball from Debian's packages */
  phpMyAdmin?: boolean
}

/** Fetches (or reuses) the nginx, PHP and PECL memcache tarballs and records them in the lab's config. */
export async function prepareLabArtifacts(options: PrepareArtifactsOptions = {}): Promise<LabArtifacts> {
  if (process.getuid?.() !== 0) throw new ArtifactError('lnmp-deploy lab artifacts needs root (it writes the lab dir and runs apt-get)')
  const paths = options.paths ?? labPaths()
  const log = options.log ?? (() => {})
  await mkdir(paths.artifacts, {recursive: true})
  return withLabLock(paths.lock, async () => {
    const manifest = await readArtifactManifest(paths)
    const todo: SourceArtifactSpec[] = []
    for (const spec of SOURCE_ARTIFACTS) {
      if (!options.refresh && (await stillValid(manifest[spec.name]))) log(`${spec.name}: cached ${manifest[spec.name]?.file}`)
      else todo.push(spec)
    }
    if (todo.length > 0) {
      const aptDir = path.join(paths.artifacts, 'apt')
      for (const d of ['lists/partial', 'cache/archives/partial']) await mkdir(path.join(aptDir, d), {recursive: true})
      await writeFile(path.join(aptDir, 'sources.list'), aptSourcesList())
      log('apt-get update (lab-own source lists: bookworm, bookworm-security, trixie)')
      await run('apt-get update of the lab source lists', 'apt-get', [...aptOptions(aptDir), 'update', '-q'])
      for (const spec of todo) {
        log(`${spec.name}: apt-get source --download-only ${spec.requests.join(' | ')}`)
        manifest[spec.name] = await fetchSource(spec, paths, aptDir, log)
        log(`${spec.name}: ${path.basename(manifest[spec.name]?.file ?? '')} sha256 ${manifest[spec.name]?.sha256}`)
      }
    }
    if (options.phpMyAdmin) {
      if (!options.refresh && (await stillValid(manifest.phpmyadmin))) log(`phpmyadmin: cached ${manifest.phpmyadmin?.file}`)
      else manifest.phpmyadmin = await buildPhpMyAdminArtifact(path.join(paths.artifacts, 'phpmyadmin'), aptOptions, sha256File, log)
    }
    await writeFile(artifactManifestPath(paths), `${JSON.stringify(manifest, null, 2)}\n`)
    await writeLabConfig(paths)
    return manifest
  })
}
