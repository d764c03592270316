import type {Action, StepContext} from '../../engine/step.js'
import {findPackage} from '../../packages/cache.js'
import {type BuildKeyParts, buildKey} from '../../packages/key.js'
import type {HostFacts} from '../../platform/facts.js'
import {installCommand, installListedCommand, runtimePackagesScript} from '../../platform/packages.js'
import {cmd} from '../../ssh/shell.js'
import {type BuildJob, type BuildMarker, buildActions, PACKAGE_DIR, sameBuild, unpackCommand} from './build.js'
import {fetchTarballActions, type SourceTarball} from './source.js'

/**
 * Build once, ship to identical hosts: a host whose build key has a package in the controller's cache
 * installs it; else it compiles, packs and keeps its package for the next host of that key. The builder
 * (the first web host, or build.builder) runs first, so its package is there when the others plan.
 */
export interface Shipping {
  key: string
  /** the package's path on the host */
  path: string
  cacheDir: string
  /** the controller has a package for the key */
  kept: boolean
  /** the builder, when it is another host and compiles this same key: it runs first and keeps the package */
  builder?: string
  /** writes the runtime manifest (the packages owning the libraries the build loads) after a compile, packed with it */
  listRuntime: string
  /** installs what the manifest lists, where the package is unpacked */
  installRuntime: string
  /** installs the compiler and -dev packages: a host that was to install a package but compiles after all */
  compileDeps: string
}

/** What the build loads at run time: the files ldd reads, and where their packages are listed. */
export interface RuntimeOf {
  /** shell words: the binaries and modules (a find over the build directory) */
  files: string
  manifest: string
}

/** How this step ships on this host; none without a package cache (old contexts, unit tests of the compile). */
export function shippingFor(
  ctx: Pick<StepContext, 'facts' | 'packages'>,
  parts: (facts: HostFacts) => BuildKeyParts,
  runtime: RuntimeOf,
): Shipping | undefined {
  if (!ctx.packages) return undefined
  const own = parts(ctx.facts)
  const key = buildKey(own)
  const builder = ctx.packages.builder
  const sameAsBuilder = builder !== undefined && buildKey(parts(builder.facts)) === key
  return {
    key,
    path: `${PACKAGE_DIR}/${key}.tar.gz`,
    cacheDir: ctx.packages.cacheDir,
    kept: findPackage(ctx.packages.cacheDir, key) !== undefined,
    ...(sameAsBuilder ? {builder: builder.name} : {}),
    listRuntime: runtimePackagesScript(runtime.files, runtime.manifest, ctx.facts),
    installRuntime: installListedCommand(runtime.manifest, ctx.facts),
    compileDeps: installCommand(own.libraries, ctx.facts),
  }
}

/** The job, packing its install when it ships. */
export function withPackage(job: BuildJob, shipping: Shipping | undefined, contents: string[]): BuildJob {
  return shipping ? {...job, package: {path: shipping.path, contents, runtimeScript: shipping.listRuntime}} : job
}

export interface CompiledFacts {
  marker: BuildMarker | undefined
  tarballSha256: string | undefined
  /** the package file is on the host (packed here, or uploaded to be unpacked) */
  packageOnHost: boolean
}

/**
 * What gets the build onto the host: nothing when its marker is there (a package only this host has goes
 * back to the controller); the kept package when there is one; else the compile, whose package is kept.
 */
export function compileOrInstallActions(
  want: {job: BuildJob; tarball: SourceTarball; shipping: Shipping | undefined},
  facts: CompiledFacts,
  what: string,
): Action[] {
  const {job, shipping} = want
  if (sameBuild(facts.marker, job.marker)) {
    return shipping && !shipping.kept && facts.packageOnHost ? [keepAction(shipping)] : []
  }
  if (shipping?.kept) {
    return [
      {kind: 'upload-package', path: shipping.path, key: shipping.key, cacheDir: shipping.cacheDir},
      {
        kind: 'run',
        description: `install the package of ${what} and the runtime packages it lists (no compile)`,
        command: unpackCommand(shipping, job.markerPath, shipping.installRuntime),
      },
    ]
  }
  // the builder compiles this key first and keeps it: this host compiles only when that did not happen, and then
  // it needs the compiler and -dev packages build-deps left out, expecting the package
  const description = shipping?.builder ? `${what} (unless ${shipping.builder}, which builds first, keeps its package)` : what
  const compileDeps: Action[] = shipping?.builder
    ? [
        {
          kind: 'run',
          description: `install the compiler and libraries ${shipping.builder}'s package would have spared`,
          command: shipping.compileDeps,
        },
      ]
    : []
  return [
    ...compileDeps,
    ...fetchTarballActions(want.tarball, facts.tarballSha256),
    ...buildActions(job, description),
    ...(shipping ? [keepAction(shipping)] : []),
  ]
}

function keepAction(shipping: Shipping): Action {
  return {kind: 'keep-package', path: shipping.path, key: shipping.key, cacheDir: shipping.cacheDir}
}

/** Probe: is the package file on the host. */
export function packageOnHostCommand(shipping: Shipping | undefined): string {
  return shipping ? `${cmd('test', '-f', shipping.path)} && echo yes || true` : 'true'
}
