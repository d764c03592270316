/** The command that applies one step again: on one host, or without a host on every host of the step's roles. */
function rerunCommand(step: string, host?: string): string {
  return `lnmp-deploy run --step ${step}${host === undefined ? '' : ` --host ${host}`}`
}

/**
 * User-facing words in one place, so wording stays consistent and reviewable apart from the logic.
 * Group by area; functions take the values a message names.
 */
export const messages = {
  config: {
    missingFile: (file: string) => `${file}: no such config file`,
    missingFileHint: 'run `lnmp-deploy init` to write one, or pass --config FILE',
    unreadableFile: (file: string, reason: string) => `${file}: cannot read the config file: ${reason}`,
    invalid: (file: string, problems: readonly string[]) =>
      `${file} is not a valid lnmp-deploy config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
      problems.map((p) => `  ${p}`).join('\n'),
    unknownKey: 'unknown key',
    missingKey: (expected: string) => `missing (expected ${expected})`,
    unknownHost: (name: string, known: readonly string[]) => `unknown host ${JSON.stringify(name)}: the config has ${known.join(', ')}`,
  },
  secrets: {
    envNotSet: (where: string, keyPath: string, variable: string) => `${where}: ${keyPath}: environment variable ${variable} is not set`,
    envHint: (variable: string) => `export ${variable}=... before running lnmp-deploy`,
    fileUnreadable: (where: string, keyPath: string, file: string, reason: string) =>
      `${where}: ${keyPath}: cannot read secret file ${file}: ${reason}`,
    fileEmpty: (where: string, keyPath: string, file: string) => `${where}: ${keyPath}: secret file ${file} is empty`,
    promptNeedsTty: (where: string, keyPath: string) =>
      `${where}: ${keyPath}: is \${prompt} but stdin is not a terminal, so nobody can answer`,
    promptHint: (variable: string) => `use \${env:${variable}} in the config and export ${variable} instead`,
    promptMessage: (keyPath: string) => `Secret for ${keyPath}`,
    promptEmpty: 'enter a value (input is hidden)',
  },
  php: {
    // the ISO date of the last day of security support, and whole days from today to it
    endingSoon: (version: string, eol: string, days: number, instead: string) =>
      `PHP ${version} reaches its end of life on ${eol} (${days === 0 ? 'today' : `${days} day${days === 1 ? '' : 's'}`}): ${instead}`,
    pastEol: (version: string, eol: string, instead: string) =>
      `PHP ${version} reached its end of life on ${eol} and gets no security fixes: ${instead}`,
    setVersion: (version: string) => `set php.version to ${version}`,
    noSupportedVersion:
      "move to a supported PHP release (https://www.php.net/supported-versions.php) and give its tarball's sha256 under artifacts.php",
    supportedLabel: (version: string, eol: string) => `${version} (supported until ${eol})`,
    endingSoonLabel: (version: string, eol: string, days: number) =>
      `${version} (end of life ${eol}, ${days === 0 ? 'today' : `in ${days} day${days === 1 ? '' : 's'}`})`,
    pastEolLabel: (version: string, eol: string) => `${version} (end of life since ${eol})`,
  },
  warning: (text: string) => `Warning: ${text}`,
  rerun: {
    command: rerunCommand,
    /** the hint of a check that running its step again repairs */
    hint: (step: string, host: string) => `run: ${rerunCommand(step, host)}`,
  },
  init: {
    needsTerminal: 'init asks questions but stdin is not a terminal; pass --yes with flags (see --help)',
    presetQuestion: 'Which topology?',
    addressQuestion: (host: string, roles: string) => `Address of ${host} (${roles})`,
    privateAddressQuestion: (host: string) => `Private address of ${host} (other hosts reach it there; empty = same)`,
    sshUserQuestion: 'SSH user',
    sshPortQuestion: 'SSH port',
    identityFileQuestion: 'SSH identity file (private key; empty = ssh-agent / ~/.ssh/config)',
    nginxVersionQuestion: 'nginx version',
    phpVersionQuestion: 'PHP version',
    otherVersion: 'another version (give its tarball and sha256 under artifacts.php)',
    otherPhpVersionQuestion: 'PHP version to build',
    sessionHandlerQuestion: 'PHP session handler',
    sessionStoresQuestion: 'Where do PHP sessions live?',
    storesSingle: (stores: string) =>
      `${stores} only (the procedure's layout: memcached on ${stores} is a single point of failure for every login)`,
    storesDedicated: (stores: string, defaultName: string) =>
      `${stores} and a dedicated cache host (asks its name and address; default name ${defaultName})`,
    storesOnWeb: (stores: string) => `${stores} and one of the web hosts (pick which)`,
    storesFromFlags: (stores: readonly string[]) => `as the flags say: ${stores.join(', ')}`,
    storesSingleMeaning: 'one store: while its memcached is down or restarted empty, nobody stays logged in',
    storesRedundantMeaning:
      'every session is written to each store and a read that fails on one goes to the next: one memcached down logs nobody out',
    cacheHostNameQuestion: 'Name of the cache host',
    cacheHostNameTaken: (name: string) => `${name} is already a host here; a dedicated cache host is a new machine`,
    cacheOnQuestion: 'Which web host stores sessions as well?',
    appQuestion: 'Application',
    secretQuestion: (keyPath: string) => `Environment variable that will hold ${keyPath} (never stored in the file)`,
    connectQuestion: 'Connect to each host now to confirm its host key and detect its OS?',
    fingerprintQuestion: (host: string, address: string, port: number, keyType: string, fingerprint: string) =>
      `${host} (${address}:${port}) presents ${keyType} key ${fingerprint}. Is this the right host?`,
    writeQuestion: (file: string) => `Write ${file}?`,
    invalidVersion: 'must be a version such as 8.2.32',
    invalidPort: 'must be a port number from 1 to 65535',
    invalidEnvName: 'must be an environment variable name: letters, digits and _, not starting with a digit',
    refusedKey: (_host: string, fingerprint: string) => `host key ${fingerprint} refused; nothing was written`,
    refusedKeyHint: 'check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub) and run init again',
    changedKey: (knownHosts: string, keyType: string, presented: string, expected: readonly string[]) =>
      `presents ${keyType} key ${presented}, but ${knownHosts} holds a different key for it (${expected.join(', ')}); refused`,
    changedKeyHint: (knownHosts: string) =>
      `if the host was reinstalled, check the new fingerprint on it, remove its line from ${knownHosts} and run init again`,
    unconfirmedKey: (fingerprint: string) => `host key ${fingerprint} is not known and --yes cannot ask`,
    unconfirmedKeyHint: 'pass --accept-new-host-keys to trust it on first use, or --no-connect to skip connecting',
    aborted: 'nothing written',
    outputExists: (file: string) => `${file} already exists`,
    outputExistsHint: 'pass --force to overwrite it',
    hostFlagSyntax: (value: string) => `--host ${JSON.stringify(value)}: must be NAME=ADDRESS`,
    privateFlagSyntax: (value: string) => `--private-address ${JSON.stringify(value)}: must be NAME=ADDRESS`,
    hostNotInPreset: (flag: string, name: string, preset: string, known: readonly string[]) =>
      `${flag} ${name}: preset ${preset} has no host ${JSON.stringify(name)} (it has ${known.join(', ')})`,
    badFlagValue: (flag: string, value: string, problem: string) => `${flag} ${JSON.stringify(value)}: ${problem}`,
    cacheHostFlagSyntax: (value: string) => `--cache-host ${JSON.stringify(value)}: must be NAME=ADDRESS`,
    cacheHostClash: (name: string, preset: string, isStore: boolean) =>
      `--cache-host ${name}: preset ${preset} already has a host ${JSON.stringify(name)}` +
      (isStore
        ? ', and it stores sessions already'
        : '; --cache-host adds a new machine (--cache-on NAME makes a web host store sessions as well)'),
    givenTwice: (flag: string, name: string) => `${flag} ${name}: given twice`,
    cacheOnAlreadyStore: (name: string) => `--cache-on ${name}: ${name} already stores sessions (it has the cache role)`,
    cacheOnNotWeb: (name: string, roles: readonly string[], webHosts: readonly string[]) =>
      `--cache-on ${name}: ${name} is not a web host (roles: ${roles.join(', ')}); --cache-on takes one of ${webHosts.join(', ')}, ` +
      `--cache-host NAME=ADDRESS adds a separate machine`,
    hostNotKnown: (flag: string, name: string, preset: string, known: readonly string[]) =>
      `${flag} ${name}: neither preset ${preset} nor --cache-host has a host ${JSON.stringify(name)} (the hosts are ${known.join(', ')})`,
    detected: (host: string, os: string, cores: number) => `${host}: ${os}, ${cores} core${cores === 1 ? '' : 's'}`,
    wrote: (file: string) => `wrote ${file}`,
    wroteKnownHosts: (file: string, count: number) => `recorded ${count} host key${count === 1 ? '' : 's'} in ${file}`,
    secretsReminder: (variables: readonly string[]) =>
      `before plan/run, export ${variables.join(', ')} (the config holds only their names)`,
    equivalent: 'the same, without questions:',
  },
} as const
