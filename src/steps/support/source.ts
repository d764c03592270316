import {createHash} from 'node:crypto'
import {existsSync, readFileSync, statSync} from 'node:fs'
import {posix} from 'node:path'

import {type ArtifactName, type ResolvedArtifact, resolveArtifact} from '../../artifacts.js'
import type {Action, StepContext} from '../../engine/step.js'
import {ArtifactError, DeployError} from '../../errors.js'
import {and, cmd, or, quote} from '../../ssh/shell.js'

/** Where source tarballs wait on a host: uploaded or downloaded once, checked by sha256 before every use. */
export const SOURCE_CACHE = '/var/lib/lnmp-deploy/src'

/** A source tarball as a host gets it: uploaded from the controller or downloaded by the host itself. */
export interface SourceTarball {
  artifact: ArtifactName
  version: string
  fileName: string
  sha256: string
  /** where it lives on the host */
  path: string
  /** a controller file to upload, when the config names one */
  localPath?: string
  /** else the host downloads it */
  url?: string
}

/**
 * Where a tarball lives in the host's cache. The schema already refuses a file name that could leave it;
 * this is the second fence, for a name that reached here some other way.
 */
export function cachedTarballPath(fileName: string): string {
  const path = posix.resolve(SOURCE_CACHE, fileName)
  if (posix.dirname(path) !== SOURCE_CACHE || posix.basename(path) !== fileName) {
    throw new ArtifactError(`file name ${JSON.stringify(fileName)} is not a plain file name: it would not stay in ${SOURCE_CACHE}`, {
      hint: 'give the artifact a url or file whose file name is letters, digits, . _ + - only',
    })
  }
  return path
}

/**
 * A table version of the tarball in the controller's artifactCache, by its table file name: uploaded from
 * there instead of each host downloading it (and checked by the same sha256). Not for config overrides,
 * which name their own file or url.
 */
function inSourceCache(resolved: ResolvedArtifact, ctx: StepContext): {localPath: string; sha256: string; fromCache: true} | undefined {
  if (ctx.sourceCache === undefined || resolved.file !== undefined) return undefined
  const localPath = posix.join(ctx.sourceCache, resolved.fileName)
  return existsSync(localPath) ? {localPath, sha256: resolved.sha256, fromCache: true} : undefined
}

const localSums = new Map<string, string>()

/** sha256 of a controller file, computed once per file version (the PHP tarball is 12 MB). */
function localSha256(path: string): string {
  const st = statSync(path)
  const key = `${path}\u0000${st.size}\u0000${st.mtimeMs}`
  let sum = localSums.get(key)
  if (sum === undefined) {
    sum = createHash('sha256').update(readFileSync(path)).digest('hex')
    localSums.set(key, sum)
  }
  return sum
}

/**
 * The tarball for an artifact on this host. A missing sha256, a missing local file or one whose sha256 is
 * not the configured one is an ArtifactError naming host and artifact, raised while computing the step's
 * inputs: before anything on the host changes.
 */
export function sourceTarball(artifact: ArtifactName, version: string, ctx: StepContext): SourceTarball {
  const host = ctx.host.name
  let resolved: ResolvedArtifact
  let path: string
  try {
    resolved = resolveArtifact(artifact, version, ctx.config)
    path = cachedTarballPath(resolved.fileName)
  } catch (error) {
    if (error instanceof DeployError) throw new ArtifactError(`${host}: ${artifact} ${version}: ${error.message}`, {host, hint: error.hint})
    throw error
  }
  const base = {artifact, version, fileName: resolved.fileName, sha256: resolved.sha256, path}
  const configured = ctx.artifacts.get(artifact)
  const local: {localPath: string; sha256: string; fromCache?: true} | undefined = configured ?? inSourceCache(resolved, ctx)
  if (local) {
    let actual: string
    try {
      actual = localSha256(local.localPath)
    } catch (error) {
      throw new ArtifactError(`${host}: ${artifact} ${version}: cannot read ${local.localPath}: ${(error as Error).message}`, {
        host,
        hint: local.fromCache ? `remove ${local.localPath} from artifactCache` : `fix artifacts.${artifact}.file in the config`,
      })
    }
    if (actual !== local.sha256) {
      if (local.fromCache) {
        throw new ArtifactError(
          `${host}: ${artifact} ${version}: ${local.localPath} in artifactCache has sha256 ${actual}, the artifact table says ${local.sha256}`,
          {
            host,
            hint: `remove ${local.localPath}: the host then downloads ${resolved.url ?? 'it'} and checks it`,
          },
        )
      }
      throw new ArtifactError(`${host}: ${artifact} ${version}: ${local.localPath} has sha256 ${actual}, the config says ${local.sha256}`, {
        host,
        hint: `check the file against its publisher's checksum and fix artifacts.${artifact}.sha256 or the file`,
      })
    }
    return {...base, localPath: local.localPath}
  }
  if (resolved.url === undefined) throw new ArtifactError(`${host}: ${artifact} ${version}: no url and no local file`, {host})
  return {...base, url: resolved.url}
}

/** Probe: the tarball's sha256 on the host (empty when it is missing). */
export function tarballSumCommand(tarball: SourceTarball): string {
  return `sha256sum ${quote(tarball.path)} | cut -d' ' -f1`
}

/**
 * Gets the tarball onto the host unless it is already there with its sha256. A download goes to a temp
 * name and is renamed only after `sha256sum -c` accepts it, so a half or wrong download is never used.
 */
export function fetchTarballActions(tarball: SourceTarball, currentSha256: string | undefined): Action[] {
  if (currentSha256 === tarball.sha256) return []
  if (tarball.localPath !== undefined) {
    return [{kind: 'upload', path: tarball.path, localPath: tarball.localPath, sha256: tarball.sha256, mode: 0o644}]
  }
  const tmp = `${tarball.path}.download`
  const check = `printf '%s  %s\\n' ${quote(tarball.sha256)} ${quote(tmp)} | sha256sum -c -`
  return [
    {
      kind: 'run',
      description: `download ${tarball.artifact} ${tarball.version} and check its sha256`,
      command: and(
        cmd('mkdir', '-p', SOURCE_CACHE),
        cmd('curl', '-fsSL', '--retry', 3, '-o', tmp, tarball.url ?? ''),
        or(check, `{ ${cmd('rm', '-f', tmp)}; exit 1; }`),
        cmd('mv', '-f', tmp, tarball.path),
      ),
    },
  ]
}
