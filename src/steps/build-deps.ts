import {ask} from '../engine/probe-query.js'
import type {ProbeQuery, Step, StepContext, StepPlan} from '../engine/step.js'
import {messages} from '../messages.js'
import {batchCommand, parseBatch} from '../platform/batch-probe.js'
import {
  installCommand,
  type PackageNeed,
  type PackagePlatform,
  packagePlatform,
  packageQueryCommand,
  packagesFor,
  parseMissingPackages,
} from '../platform/packages.js'
import {NGINX_BUILD_NEEDS, PECL_BUILD_NEEDS, phpBuildNeeds} from '../php/features.js'
import {check} from './support/checks.js'
import {phpBuild} from './support/php-build.js'

/**
 * The procedure's "solve the software dependencies" milestones (`yum install openssl-devel pcre-devel`
 * for nginx, `yum install zlib-devel libxml2-devel ...` for PHP), as one step: the compiler and the
 * libraries nginx, PHP with the chosen features and PECL memcache need, named per OS family, plus ccache
 * (rebuilds and the second web host compile from cache) and what downloading sources needs.
 */
export interface BuildDepsInputs {
  packages: string[]
  installCommand: string
  /** what the plan builds its install command from: it installs only the packages the probe found missing */
  platform: PackagePlatform
  /** false: the host installs its builder's packages (build once, ship) and needs no compiler */
  compiles: boolean
}

/** What a host that installs packages needs of the build's tools: unpacking and fetching (the app's tarball). */
export const RUNTIME_ONLY_NEEDS: PackageNeed[] = ['xz', 'download']

/**
 * A web host whose builder is another reachable host of its platform installs that host's packages: the same
 * config on the same OS, release and architecture makes the same build keys. The runtime libraries come with
 * each package (its manifest); a compile it must do after all installs the compiler then (support/ship.ts).
 */
export function installsPackages(ctx: Pick<StepContext, 'facts' | 'packages'>): boolean {
  const builder = ctx.packages?.builder?.facts
  return (
    builder !== undefined && builder.osId === ctx.facts.osId && builder.osVersion === ctx.facts.osVersion && builder.arch === ctx.facts.arch
  )
}

export interface BuildDepsFacts {
  missingPackages: string[]
}

export function buildNeeds(ctx: Pick<StepContext, 'config' | 'facts' | 'host'>): PackageNeed[] {
  const {features} = phpBuild(ctx)
  return [
    ...new Set<PackageNeed>([
      ...phpBuildNeeds(features),
      ...NGINX_BUILD_NEEDS,
      ...PECL_BUILD_NEEDS,
      ...(ctx.config.build.ccache ? (['ccache'] as const) : []),
      'download',
    ]),
  ]
}

export function buildDepsInputs(ctx: StepContext): BuildDepsInputs {
  const compiles = !installsPackages(ctx)
  const packages = packagesFor(compiles ? buildNeeds(ctx) : RUNTIME_ONLY_NEEDS, ctx.facts)
  return {packages, installCommand: installCommand(packages, ctx.facts), platform: packagePlatform(ctx.facts), compiles}
}

export function planBuildDeps(facts: BuildDepsFacts, want: BuildDepsInputs): StepPlan {
  if (facts.missingPackages.length === 0) return {actions: [], reason: `all ${want.packages.length} build packages are installed`}
  // only what is missing, so the plan says what will change; the install command waits for a held lock
  return {
    actions: [
      {
        kind: 'run',
        description: `install ${facts.missingPackages.join(' ')}`,
        command: installCommand(facts.missingPackages, want.platform),
      },
    ],
  }
}

export const buildDepsQueries = {
  /** the packages of the inputs not installed, in their order; the package database is readable without root */
  packages: {
    command: (want, facts) => batchCommand({packages: packageQueryCommand(want.packages, facts)}),
    sudo: false,
    parse: (stdout, want, facts) => parseMissingPackages(want.packages, parseBatch(stdout).get('packages') ?? '', facts),
  },
} satisfies Record<string, ProbeQuery<BuildDepsInputs, unknown>>

export const buildDeps: Step<BuildDepsInputs, BuildDepsFacts> = {
  id: 'build-deps',
  title: 'Install the compiler and the libraries nginx, PHP and PECL memcache build against',
  roles: ['web'],

  inputs: buildDepsInputs,

  probeQueries: buildDepsQueries,

  async probe(remote, ctx, want) {
    return {missingPackages: await ask(remote, buildDepsQueries.packages, want, ctx.facts)}
  },

  plan: planBuildDeps,

  async verify({remote}, ctx, want) {
    const absent = await ask(remote, buildDepsQueries.packages, want, ctx.facts)
    const packagesCheck = check(
      'build-packages',
      absent.length === 0,
      absent.length === 0 ? `${want.packages.length} packages installed` : `missing: ${absent.join(' ')}`,
      {
        command: packageQueryCommand(want.packages, ctx.facts),
        hint: messages.rerun.hint('build-deps', ctx.host.name),
      },
    )
    if (!want.compiles) return [packagesCheck]
    const cc = await remote.exec('cc --version')
    return [
      packagesCheck,
      check('cc-runs', cc.code === 0, cc.code === 0 ? (cc.stdout.split('\n')[0] ?? '').trim() : `exit ${cc.code}`, {
        command: 'cc --version',
        hint: 'the C compiler does not run: reinstall build-essential (gcc on RHEL)',
        output: cc.stderr,
      }),
    ]
  },
}
