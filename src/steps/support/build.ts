import {createHash} from 'node:crypto'

import type {Action} from '../../engine/step.js'
import {jobExitPath} from '../../ssh/jobs.js'
import {cmd, ifMissing, quote} from '../../ssh/shell.js'
import type {SourceTarball} from './source.js'

/**
 * One compile = one detached job: check the tarball, unpack fresh, configure, make, make install, then a
 * marker written last. The marker is what a probe trusts: it exists only after a complete install, and it
 * names the exact configure arguments and source that produced the directory.
 */

/** Sources unpack here, the same path on every host, so a shared ccache hits across hosts. */
export const BUILD_ROOT = '/usr/local/src/lnmp-deploy'
/** ccache's directory on a host (the lab bind-mounts one shared controller directory here). */
export const CCACHE_DIR = '/var/cache/lnmp-deploy/ccache'
export const MARKER_NAME = '.lnmp-deploy-build.json'
/** in a build directory: the packages owning the libraries it loads, for the hosts that install its package */
export const RUNTIME_MANIFEST = '.lnmp-deploy-runtime'

/** 8 hex digits naming a build: a changed version, source or flag is another build in another directory. */
export function buildHash(parts: unknown): string {
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 8)
}

/** What the marker records and the probe compares. */
export interface BuildMarker {
  name: string
  version: string
  sha256: string
  args: string[]
}

export function parseMarker(text: string | undefined): BuildMarker | undefined {
  if (!text?.trim()) return undefined
  try {
    const m = JSON.parse(text) as Partial<BuildMarker>
    if (typeof m.name !== 'string' || typeof m.version !== 'string' || typeof m.sha256 !== 'string' || !Array.isArray(m.args))
      return undefined
    return {name: m.name, version: m.version, sha256: m.sha256, args: m.args.map(String)}
  } catch {
    return undefined
  }
}

export function sameBuild(found: BuildMarker | undefined, want: BuildMarker): boolean {
  return (
    found !== undefined &&
    found.name === want.name &&
    found.version === want.version &&
    found.sha256 === want.sha256 &&
    JSON.stringify(found.args) === JSON.stringify(want.args)
  )
}

export interface BuildJob {
  /** job id: `<name>-<version>-<hash8>` */
  id: string
  tarball: Pick<SourceTarball, 'path' | 'sha256' | 'fileName'>
  /** fresh source tree, e.g. /usr/local/src/lnmp-deploy/php-8.2.32 */
  srcDir: string
  /** commands run in srcDir before ./configure (phpize, exports) */
  prepare?: string[]
  /** the whole configure command line, argv */
  configure: string[]
  cores: number
  /** commands run in srcDir after `make install` (php.ini, extra/ ...) */
  afterInstall?: string[]
  /** the marker's path and what it records */
  markerPath: string
  marker: BuildMarker
  /** compile through ccache when the host has it */
  ccache: boolean
  /** pack what the build installed, marker last, for the other hosts of its build key (build once, ship) */
  package?: BuildPackage
}

export interface BuildPackage {
  /** the .tar.gz on the host */
  path: string
  /** what to pack, relative to /: shell words (an extension's directory is only known to php-config) */
  contents: string[]
  /** writes the runtime manifest (packed with the contents) before the packing */
  runtimeScript?: string
}

/** Where packages wait on a host: readable by the login user, who brings them back over SFTP; no secrets in them. */
export const PACKAGE_DIR = '/var/cache/lnmp-deploy/packages'

/**
 * A path as tar takes it with `-C /`: relative, and starting with `./`, so a prefix whose first directory starts
 * with a dash (`/-x/...`, which the schema allows) is never read as an option.
 */
export function fromRoot(path: string): string {
  return `./${path.replace(/^\/+/, '')}`
}

/**
 * Packs the install, its marker last: unpacked on another host, the marker exists only once everything
 * before it does, as after a compile. gzip -1: the package crosses a network once and is unpacked often.
 */
export function packScript(pkg: BuildPackage, markerPath: string): string[] {
  const marker = quote(fromRoot(markerPath))
  const tar = quote(`${pkg.path}.tar`)
  return [
    `echo ${quote(`== pack ${pkg.path}`)}`,
    cmd('install', '-d', '-m', '0755', PACKAGE_DIR),
    ...(pkg.runtimeScript ? [`echo '== list the packages of the libraries it loads'`, pkg.runtimeScript] : []),
    `rm -f ${tar} ${tar}.gz`,
    `tar -C / --exclude=${marker} -cf ${tar} ${pkg.contents.join(' ')}`,
    `tar -C / -rf ${tar} ${marker}`,
    `gzip -1 ${tar}`,
    `chmod 0644 ${tar}.gz`,
    `mv -f ${tar}.gz ${quote(pkg.path)}`,
  ]
}

/**
 * Unpacks a package over / without its marker, installs the runtime packages its manifest lists, then the
 * marker: a host whose libraries could not be installed has no marker, so the next run tries again.
 */
export function unpackCommand(pkg: Pick<BuildPackage, 'path'>, markerPath: string, installRuntime: string): string {
  const marker = fromRoot(markerPath)
  return [
    cmd('tar', '-C', '/', '-xzf', pkg.path, `--exclude=${marker}`),
    installRuntime,
    cmd('tar', '-C', '/', '-xzf', pkg.path, marker),
  ].join(' &&\n')
}

/** The job's shell script (POSIX sh: the job runner uses sh). */
export function buildScript(job: BuildJob): string {
  const src = quote(job.srcDir)
  const unpack = quote(`${job.srcDir}.unpack`)
  const marker = JSON.stringify(job.marker)
  // the file name comes from the config: inside double quotes, $(...) and backticks would still run
  const lines = [
    'set -eu',
    `echo ${quote(`== check ${job.tarball.fileName}`)}`,
    `printf '%s  %s\\n' ${quote(job.tarball.sha256)} ${quote(job.tarball.path)} | sha256sum -c -`,
    `echo ${quote(`== unpack into ${job.srcDir}`)}`,
    `rm -rf ${src} ${unpack}`,
    `mkdir -p ${unpack}`,
    `tar -xf ${quote(job.tarball.path)} -C ${unpack}`,
    // release tarballs hold one directory; PECL's also hold package.xml beside it
    `set -- ${unpack}/*/`,
    `if [ $# -ne 1 ] || [ ! -d "$1" ]; then echo ${quote(`expected one directory in ${job.tarball.fileName}, found:`)} "$*"; exit 1; fi`,
    `mv "$1" ${src}`,
    `rm -rf ${unpack}`,
    `cd ${src}`,
  ]
  if (job.ccache) {
    lines.push(
      'if command -v ccache >/dev/null 2>&1; then',
      `  mkdir -p ${quote(CCACHE_DIR)}`,
      `  export CC='ccache gcc' CXX='ccache g++' CCACHE_DIR=${quote(CCACHE_DIR)} CCACHE_BASEDIR=${quote(BUILD_ROOT)}`,
      // headers configure has just generated are "too new" for ccache's direct mode, which then preprocesses
      // every file: the tree is unpacked fresh for each build, so their times say nothing
      '  export CCACHE_SLOPPINESS=include_file_mtime,include_file_ctime',
      '  echo "== compiling through ccache ($CCACHE_DIR)"',
      'fi',
    )
  }
  // single-quoted: a value the schema let through is printed, never run, by the line that names it
  for (const c of job.prepare ?? []) lines.push(`echo ${quote(`== ${c}`)}`, c)
  lines.push(
    `echo ${quote(`== ${cmd(...job.configure)}`)}`,
    cmd(...job.configure),
    `echo "== make -j${job.cores}"`,
    // a parallel make that trips over a missing dependency in a Makefile still builds serially
    job.cores > 1 ? `make -j${job.cores} || { echo "== make -j${job.cores} failed, retrying serially"; make; }` : 'make',
    'echo "== make install"',
    'make install',
    ...(job.afterInstall ?? []),
    `printf '%s\\n' ${quote(marker)} > ${quote(`${job.markerPath}.tmp`)}`,
    `mv -f ${quote(`${job.markerPath}.tmp`)} ${quote(job.markerPath)}`,
    ...(job.package ? packScript(job.package, job.markerPath) : []),
    'echo "== done"',
  )
  return `${lines.join('\n')}\n`
}

/** Probe: the marker's content (empty when there is none). */
export function markerCommand(markerPath: string): string {
  return cmd('cat', markerPath)
}

/**
 * A job that finished with exit 0 is never started again under the same id (a rerun only reads its
 * result). When its marker is gone (the install was removed), that result is stale: forget it first.
 */
export function forgetStaleJobAction(job: Pick<BuildJob, 'id' | 'markerPath'>): Action {
  const exit = jobExitPath(job.id)
  return {
    kind: 'run',
    description: `forget an earlier result of job ${job.id} whose install is gone`,
    command: ifMissing(job.markerPath, cmd('rm', '-f', exit)),
  }
}

/** The actions that (re)build: forget a stale result, then the detached job in a build slot. */
export function buildActions(job: BuildJob, what: string): Action[] {
  return [forgetStaleJobAction(job), {kind: 'run', description: what, command: buildScript(job), job: job.id, build: true}]
}

/** Probe: where the symlink points (empty when there is none). */
export function readlinkCommand(link: string): string {
  return cmd('readlink', link)
}
