import {createHash} from 'node:crypto'
import {createReadStream, existsSync} from 'node:fs'
import {mkdir, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {ARTIFACTS, DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION, type ArtifactName} from '../artifacts.js'
import {ArtifactError} from '../errors.js'
import {artifactManifestPath, readArtifactManifest, writeLabConfig, type LabArtifact} from './client-files.js'
import {run} from './exec.js'
import {withLabLock} from './lock.js'
import {labPaths, type LabPaths} from './paths.js'
import {buildPhpMyAdminArtifact} from './phpmyadmin-artifact.js'

/**
 * The source tarballs a lab deployment uploads from this machine (the lab hosts reach only the Debian
 * mirror's apt paths): every version the lab deploys, taken from lnmp-deploy's own artifact table, whose
 * sha256 values come from signed Debian sources. Each lands in the lab's source cache under its table file
 * name only after its sha256 matched, and the lab config names that cache (artifactCache), so a deployment
 * of any of these versions uploads it from here.
 */
export const LAB_SOURCES: ReadonlyArray<{name: Exclude<ArtifactName, 'phpmyadmin'>; version: string}> = [
  {name: 'nginx', version: DEFAULT_NGINX_VERSION},
  {name: 'php', version: DEFAULT_PHP_VERSION},
  // what a cluster deployed before PHP 8.4 was the default runs, and what the live upgrade starts from
  {name: 'php', version: '8.2.32'},
  {name: 'memcache', version: '8.2'},
]

export const MIRROR = 'http://deb.debian.org/debian'

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

async function stillValid(a: {file: string; sha256: string} | undefined): Promise<boolean> {
  return a !== undefined && existsSync(a.file) && (await sha256File(a.file)) === a.sha256
}

export interface CachedSource extends LabArtifact {
  name: ArtifactName
}

/** One table artifact in the source cache: reused when its sha256 still matches, else downloaded and checked. */
async function cacheSource(
  name: ArtifactName,
  version: string,
  paths: LabPaths,
  refresh: boolean,
  log: (m: string) => void,
): Promise<CachedSource> {
  const entry = ARTIFACTS[name][version]
  if (!entry?.sha256) throw new ArtifactError(`${name} ${version}: the artifact table has no verified sha256 for it`)
  const file = path.join(paths.sources, entry.fileName)
  const cached = {name, version, file, sha256: entry.sha256}
  if (!refresh && (await stillValid(cached))) {
    log(`${name} ${version}: cached ${file}`)
    return cached
  }
  const tmp = `${file}.download`
  log(`${name} ${version}: downloading ${entry.url}`)
  await run(`downloading ${name} ${version}`, 'curl', ['-fsSL', '--retry', '3', '-o', tmp, entry.url])
  const sha256 = await sha256File(tmp)
  if (sha256 !== entry.sha256) {
    await rm(tmp, {force: true})
    throw new ArtifactError(`${name} ${version}: ${entry.url} has sha256 ${sha256}, the artifact table says ${entry.sha256}`, {
      hint: 'the mirror served another file: nothing was kept',
    })
  }
  await rename(tmp, file)
  return cached
}

export interface PrepareArtifactsOptions {
  log?: (m: string) => void
  paths?: LabPaths
  /** fetch again even when the cached tarballs still match their recorded sha256 */
  refresh?: boolean
  /** also build the phpMyAdmin tarball from Debian's packages */
  phpMyAdmin?: boolean
}

/** Fetches (or reuses) the lab's source tarballs and phpMyAdmin's, and records them in the lab's config. */
export async function prepareLabArtifacts(options: PrepareArtifactsOptions = {}): Promise<CachedSource[]> {
  if (process.getuid?.() !== 0) throw new ArtifactError('lnmp-deploy lab artifacts needs root (it writes the lab dir and runs apt-get)')
  const paths = options.paths ?? labPaths()
  const log = options.log ?? (() => {})
  await mkdir(paths.sources, {recursive: true})
  return withLabLock(paths.lock, async () => {
    const sources: CachedSource[] = []
    for (const {name, version} of LAB_SOURCES) sources.push(await cacheSource(name, version, paths, options.refresh ?? false, log))
    const manifest = await readArtifactManifest(paths)
    if (options.phpMyAdmin) {
      if (!options.refresh && (await stillValid(manifest.phpmyadmin))) log(`phpmyadmin: cached ${manifest.phpmyadmin?.file}`)
      else manifest.phpmyadmin = await buildPhpMyAdminArtifact(path.join(paths.artifacts, 'phpmyadmin'), aptOptions, sha256File, log)
    }
    // only phpMyAdmin's entry: a manifest from before the source cache also listed the source tarballs
    await writeFile(
      artifactManifestPath(paths),
      `${JSON.stringify(manifest.phpmyadmin ? {phpmyadmin: manifest.phpmyadmin} : {}, null, 2)}\n`,
    )
    await writeLabConfig(paths)
    const pma = manifest.phpmyadmin
    return pma ? [...sources, {name: 'phpmyadmin', ...pma}] : sources
  })
}
