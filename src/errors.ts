/**
 * Every failure the user can cause or meet has its own exit code, so scripts and CI can tell a typo in
 * the config from an unreachable host from a broken build. The README's exit-code table mirrors this.
 */
export const ExitCode = {
  ok: 0,
  internal: 1,
  usage: 2,
  config: 3,
  connection: 4,
  stepFailed: 5,
  verifyFailed: 6,
  locked: 7,
  artifact: 8,
  lab: 9,
} as const

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

export class DeployError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly options: {host?: string; hint?: string; cause?: unknown} = {},
  ) {
    super(message, {cause: options.cause})
    this.name = new.target.name
  }

  get host(): string | undefined {
    return this.options.host
  }

  get hint(): string | undefined {
    return this.options.hint
  }
}

/** The config file, a flag or a value in them is wrong; nothing was contacted. */
export class ConfigError extends DeployError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.config, options)
  }
}

/** A host could not be reached or authenticated, or its host key is unknown or changed. */
export class ConnectionError extends DeployError {
  constructor(host: string, message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(`${host}: ${message}`, ExitCode.connection, {...options, host})
  }
}

export class HostKeyError extends ConnectionError {}

/** A step's apply or its own verification failed on a host. */
export class StepFailedError extends DeployError {
  constructor(
    host: string,
    readonly stepId: string,
    message: string,
    options: {hint?: string; cause?: unknown; logPath?: string; outputTail?: string} = {},
  ) {
    super(`${host}: step ${stepId} failed: ${message}`, ExitCode.stepFailed, {...options, host})
    this.logPath = options.logPath
    this.outputTail = options.outputTail
  }

  readonly logPath: string | undefined
  readonly outputTail: string | undefined
}

export class VerifyFailedError extends DeployError {
  constructor(message: string, options: {host?: string; hint?: string} = {}) {
    super(message, ExitCode.verifyFailed, options)
  }
}

/** Another lnmp-deploy run holds the host's lock. */
export class LockedError extends DeployError {
  constructor(
    host: string,
    readonly holder: string,
    options: {hint?: string} = {},
  ) {
    super(`${host}: locked by ${holder}`, ExitCode.locked, {...options, host})
  }
}

/** A source artifact is missing or its sha256 does not match. */
export class ArtifactError extends DeployError {
  constructor(message: string, options: {host?: string; hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.artifact, options)
  }
}

/** The local lab could not be brought up, reset or torn down. */
export class LabError extends DeployError {
  constructor(message: string, options: {hint?: string; cause?: unknown} = {}) {
    super(message, ExitCode.lab, options)
  }
}
