import type {Config, Role} from '../config/schema.js'
import type {HostFacts} from '../platform/facts.js'
import type {Remote} from '../ssh/remote.js'

/** A host as every step sees it: the config entry with its defaults filled in. */
export interface ClusterHost {
  name: string
  address: string
  /** the address other hosts use for this one (binds, grants, upstreams) */
  privateAddress: string
  roles: Role[]
  /** a web host's builder: the web host that compiles what it runs (itself, or build.builder, or the first web host) */
  builder?: string
}

export interface StepContext {
  config: Config
  host: ClusterHost
  cluster: ClusterHost[]
  facts: HostFacts
  /**
   * resolved secret values by config key path, e.g. 'database.appPassword'; what the config leaves out of
   * database.rootPassword, database.appPassword and app.blowfishSecret is generated once (src/secrets/)
   */
  secrets: ReadonlyMap<string, string>
  /** local paths of artifacts the controller uploads, by artifact name, with their sha256 */
  artifacts: ReadonlyMap<string, {localPath: string; sha256: string; fileName: string}>
  /** the controller's folder of source tarballs (config artifactCache), absolute; a table version found there is uploaded */
  sourceCache?: string
  /**
   * build once, ship to identical hosts: the controller's package cache (absolute) and, for a web host, the
   * web host that compiles for it with its facts (absent when this host is that builder, or it is not reached)
   */
  packages?: {cacheDir: string; builder?: {name: string; facts: HostFacts}}
}

/** How the engine knows a service really answers again after a restart or reload. */
export type Readiness = {tcp: {host: string; port: number}} | {command: string}

/** Actions are data: the engine executes them, `plan` prints them, unit tests compare them. */
export type Action =
  | {
      kind: 'run'
      description: string
      command: string
      /** run detached under this job id (builds): survives a dropped connection, a rerun reattaches */
      job?: string
      /** a compile: waits for one of the cluster's build slots (config build.parallelHosts) */
      build?: boolean
      /** values to redact from logs */
      secretValues?: string[]
    }
  | {
      kind: 'write-file'
      path: string
      content: string
      mode: number
      owner?: string
      group?: string
      /** validation command run against the temp file before it replaces the old one; `{}` is its path */
      validate?: string
      /** never shown in diffs or logs */
      sensitive?: boolean
    }
  | {kind: 'upload'; path: string; localPath: string; sha256: string; mode?: number}
  /** copy a package a build left on the host into the controller's package cache, under its sha256 and key */
  | {kind: 'keep-package'; path: string; key: string; cacheDir: string}
  /** put the package kept for `key` at `path` on the host, checked by the sha256 the cache has for it */
  | {kind: 'upload-package'; path: string; key: string; cacheDir: string}
  /** point `link` at `target` in one rename; a restart that then fails points it back */
  | {kind: 'switch-link'; link: string; target: string}
  | {
      kind: 'service'
      service: string
      op: 'restart' | 'reload' | 'enable-now'
      ready?: Readiness
      /**
       * how to tell it answers on the previous files, when a failed restart puts them back (a changed listen
       * address answers elsewhere before); `ready` when absent
       */
      readyBefore?: Readiness
      /**
       * the service answers the balancer's users (nginx and PHP-FPM on a web host): the engine takes the host
       * out of rotation around it, one host of the cluster at a time, and puts it back once it answers again
       */
      behindBalancer?: boolean
    }

export interface StepPlan {
  actions: Action[]
  /** why nothing is needed, when actions is empty */
  reason?: string
}

export interface CheckResult {
  /** stable id, e.g. 'nginx-t' or 'memcached-set-get-from-web01' */
  name: string
  ok: boolean
  /** what was found (short) */
  detail?: string
  /** what to do when it failed */
  hint?: string
  command?: string
  output?: string
}

export interface VerifyEnv {
  remote: Remote
  /** connection to another host of the cluster (memcached is verified from the web hosts) */
  remoteOf(hostName: string): Promise<Remote>
}

/**
 * One read-only round trip of a probe, as two pure halves: the command the host runs and the parser of what it
 * printed. Apart, each parser can be tested against output recorded on real hosts, and the recorder can ask every
 * step's questions without knowing any step (test/unit/fixtures/probes/, scripts/record-probes.ts).
 */
export interface ProbeQuery<Inputs, Answer> {
  /** read only, whatever the host's state: the recorder runs it on live hosts outside any plan */
  command(inputs: Inputs, facts: HostFacts): string
  /** as root: most of what a probe reads (configs, units, builds, the server's tables) is root's to read */
  sudo: boolean
  /** what the command reads on stdin: a secret goes there (a command line shows in ps and in logs), never into command */
  stdin?(inputs: Inputs): string
  /** the answer from what the command printed; the exit code is a fact only where the probe itself checks it */
  parse(stdout: string, inputs: Inputs, facts: HostFacts): Answer
}

export interface Step<Inputs = unknown, Facts = unknown> {
  /** stable: it keys the journal */
  id: string
  /** in the words of the milestone */
  title: string
  roles: Role[]
  /** step ids that must be done first: 'www-user' on the same host, 'db:memcached' on every db host */
  after?: string[]
  /**
   * desired state as plain JSON data; its hash is the step's fingerprint. The engine computes it once per step
   * and host and hands that same object to probe, plan and verify: all three see the same desired state, and the
   * fingerprint the journal records is of exactly what was planned and verified. A secret travels in it only as
   * a non-enumerable property (mariadb's withSecrets), so neither its JSON nor the fingerprint holds it.
   */
  inputs(ctx: StepContext): Inputs
  /** read-only facts, cheap; asks about what `inputs` wants (its packages, files, paths) */
  probe(remote: Remote, ctx: StepContext, inputs: Inputs): Promise<Facts>
  /**
   * every round trip probe makes, by name; probe runs them and decides which (a second one may depend on the
   * first one's answer). Declared so that recorded output pins each parser and a recorder runs them generically.
   * Left out only by a step whose probe asks the host nothing.
   */
  probeQueries?: Readonly<Record<string, ProbeQuery<Inputs, unknown>>>
  /** pure: a function of the probe's facts and the inputs alone, so a plan is data a unit test pins */
  plan(facts: Facts, inputs: Inputs): StepPlan
  /** checks the host against the same inputs the plan was made from */
  verify(env: VerifyEnv, ctx: StepContext, inputs: Inputs): Promise<CheckResult[]>
}

// biome-ignore lint/suspicious/noExplicitAny: a step of any inputs and facts, for the registry and the engine
export type AnyStep = Step<any, any>
