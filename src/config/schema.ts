import {isIPv6} from 'node:net'
import {z} from 'zod'
import {DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION} from '../default-versions.js'

/**
 * The one definition of lnmp-deploy.yml. Loading, the JSON Schema for editors and the TypeScript types all
 * come from here. Every value that can reach a remote shell is constrained to a safe alphabet here, and is
 * still quoted where it is used.
 */

// RFC 1123 label: what a host name may be. Keeps `web01; rm -rf /` out before anything else sees it.
export const hostNameSchema = z
  .string()
  .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i, 'must be a host name (letters, digits, inner dashes)')

// A DNS name or an IPv4/IPv6 literal.
const ADDRESS = /^(?:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$|^[0-9a-f:.]+$/i
export const addressSchema = z.string().regex(ADDRESS, 'must be a DNS name or an IP address')

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d, in any spelling) stands for; undefined for any other. */
export function mappedIpv4(address: string): string | undefined {
  // a zone (fe80::1%eth0) is an IPv6 address to isIPv6 but not in a URL; it is never a mapped one
  if (!isIPv6(address) || address.includes('%')) return undefined
  // the WHATWG URL parser writes an IPv6 host in one canonical form: [::ffff:ac10:108] for every spelling of it
  const canonical = new URL(`http://[${address}]/`).hostname
  const mapped = /^\[::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})\]$/.exec(canonical)
  if (!mapped) return undefined
  const [high, low] = [Number.parseInt(mapped[1] ?? '', 16), Number.parseInt(mapped[2] ?? '', 16)]
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')
}

/**
 * A host's address or private address: what SSH connects to, and what binds, grants, firewall sets and upstreams
 * name. An IPv6 literal must be one (a colon makes it one: a DNS name has none) and is kept in lower case, since
 * MariaDB stores an account's host lower-cased and nginx reports $upstream_addr in lower case: FD00::7 as written
 * would never compare equal to what they give back. An IPv4-mapped address (::ffff:10.0.0.7) is refused: the
 * firewall puts it in its ip6 set, which never matches the IPv4 traffic it stands for.
 */
export const hostAddressSchema = addressSchema
  .superRefine((address, ctx) => {
    if (!address.includes(':') || !ADDRESS.test(address)) return
    if (!isIPv6(address)) return ctx.addIssue({code: 'custom', message: `${address} is not an IPv6 address`})
    const ipv4 = mappedIpv4(address)
    if (ipv4 !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${address} is an IPv4-mapped IPv6 address: the db and cache hosts' firewall would allow it as an IPv6 source, which no IPv4 packet ever matches; write the IPv4 address ${ipv4}`,
      })
    }
  })
  .overwrite((address) => (address.includes(':') ? address.toLowerCase() : address))

export const userNameSchema = z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a POSIX user name')

export const portSchema = z.number().int().min(1).max(65_535)

export const versionSchema = z.string().regex(/^\d+\.\d+(\.\d+)*$/, 'must be a version such as 8.2.32')

export const absolutePathSchema = z.string().regex(/^\/[A-Za-z0-9._/-]*$/, 'must be an absolute path of letters, digits, . _ - and /')

export const sha256Schema = z.string().regex(/^[a-f0-9]{64}$/, 'must be a sha256 in 64 lowercase hex digits')

/** `${env:NAME}`, `${prompt}` or `${file:/path}`: secrets are never written in clear into the config. */
export const secretRefSchema = z
  .string()
  .regex(/^\$\{(env:[A-Za-z_][A-Za-z0-9_]*|prompt|file:[^}]+)\}$/, 'must be a secret reference: ${env:NAME}, ${file:PATH} or ${prompt}')

export const roleSchema = z.enum(['lb', 'web', 'db', 'cache'])
export type Role = z.infer<typeof roleSchema>

export const jumpSchema = z.union([
  hostNameSchema,
  z.string().regex(/^([a-z_][a-z0-9_-]*@)?[a-z0-9.-]+(:\d+)?$/i, 'must be user@host:port or the name of a configured host'),
])

export const hostSchema = z.strictObject({
  name: hostNameSchema,
  address: hostAddressSchema,
  // the address other hosts use to reach this one (binds, grants, upstreams); defaults to `address`
  privateAddress: hostAddressSchema.optional(),
  port: portSchema.optional(),
  user: userNameSchema.optional(),
  identityFile: z.string().min(1).optional(),
  jump: jumpSchema.optional(),
  roles: z.array(roleSchema).min(1),
})
export type HostConfig = z.infer<typeof hostSchema>

export const sshSchema = z.strictObject({
  user: userNameSchema.default('root'),
  port: portSchema.default(22),
  identityFile: z.string().min(1).optional(),
  // the project's own known_hosts, relative to the config file
  knownHosts: z.string().min(1).default('known_hosts'),
  // also trust entries in ~/.ssh/known_hosts
  userKnownHosts: z.boolean().default(true),
  // honour ~/.ssh/config (Host aliases, HostName, User, Port, IdentityFile, ProxyJump)
  useSshConfig: z.boolean().default(true),
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(10),
  keepaliveSeconds: z.number().int().min(0).max(3600).default(15),
  sudoPassword: secretRefSchema.optional(),
})

// what `tar -xf` unpacks on a host as build-deps leaves it: gzip is always there and xz-utils is installed;
// bzip2 is not, and GNU tar does not read zip
const TARBALL_SUFFIXES = ['.tar.gz', '.tgz', '.tar.xz'] as const
// no '/' and a letter or digit first: the name is one path segment, never '.' or '..', never read as an option
const SAFE_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/
const FILE_NAME_RULE = `letters, digits, . _ + - (a letter or digit first), ending in ${TARBALL_SUFFIXES.join(', ')}`
// a local path may have any directory, but a newline or escape in it would garble every message that shows it
// biome-ignore lint/suspicious/noControlCharactersInRegex: it exists to find control characters
const CONTROL_CHAR = /[\u0000-\u001f\u007f]/

function lastSegment(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1)
}

/** The percent-decoded last segment of a url's path; undefined when the url does not parse or its escapes do not decode. */
export function urlFileName(url: string): string | undefined {
  try {
    return decodeURIComponent(lastSegment(new URL(url).pathname))
  } catch {
    return undefined
  }
}

/**
 * The name an artifact's tarball gets on a host: the base name of `file`, else the decoded last segment of
 * `url`. src/artifacts.ts uses this too, so the name checked here is the name that reaches a host.
 */
export function artifactFileName(source: {url?: string; file?: string}): string | undefined {
  if (source.file !== undefined) return lastSegment(source.file)
  return source.url === undefined ? undefined : urlFileName(source.url)
}

/** Why a name may not be an artifact's file name, or undefined when it may. */
export function artifactFileNameProblem(name: string): string | undefined {
  if (SAFE_FILE_NAME.test(name) && TARBALL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return undefined
  return `the file name must be ${FILE_NAME_RULE}; got ${JSON.stringify(name)}`
}

// field-level refinements put the key path (artifacts.php.url) on the issue, and leave the JSON Schema as it is
const artifactUrlSchema = z.url().superRefine((url, ctx) => {
  if (CONTROL_CHAR.test(url)) return ctx.addIssue({code: 'custom', message: 'must not contain control characters or newlines'})
  const name = urlFileName(url)
  const problem = name === undefined ? `its last path segment does not decode; it must be ${FILE_NAME_RULE}` : artifactFileNameProblem(name)
  if (problem !== undefined) ctx.addIssue({code: 'custom', message: problem})
})

const artifactFileSchema = z
  .string()
  .min(1)
  .superRefine((file, ctx) => {
    if (CONTROL_CHAR.test(file)) return ctx.addIssue({code: 'custom', message: 'must not contain control characters or newlines'})
    const problem = artifactFileNameProblem(lastSegment(file))
    if (problem !== undefined) ctx.addIssue({code: 'custom', message: problem})
  })

const artifactSchema = z
  .strictObject({
    url: artifactUrlSchema.optional(),
    file: artifactFileSchema.optional(),
    sha256: sha256Schema,
  })
  .refine((a) => a.url !== undefined || a.file !== undefined, 'needs a url or a file')

export const phpFeatureSchema = z.enum([
  'fpm',
  'mysqli',
  'pdo-mysql',
  'gd',
  'freetype',
  'jpeg',
  'zlib',
  'xml',
  'bcmath',
  'shmop',
  'sysvsem',
  'curl',
  'mbstring',
  'mbregex',
  'openssl',
  'mhash',
  'pcntl',
  'sockets',
  'soap',
  'short-tags',
  'xsl',
  'ftp',
  'sodium',
  'zip',
  'iconv',
  'opcache',
])
export type PhpFeature = z.infer<typeof phpFeatureSchema>

/** A ./configure flag a config may give, and the ones lnmp-deploy sets itself (by name, with why), which it may not. */
interface ConfigureFlagRules {
  pattern: RegExp
  example: string
  owned: Readonly<Record<string, string>>
  /** the flags naming the user and the group the workers default to: never root */
  workerUser: {user: string; group: string}
}

const FOR_WWW = 'lnmp-deploy builds them for the www user and group (uid/gid 666), leave it out'

/** Why a flag may not be given, or undefined when it may. */
function configureFlagProblem(flag: string, rules: ConfigureFlagRules): string | undefined {
  const [name = flag, value] = flag.split(/=(.*)/s, 2)
  const why = rules.owned[name]
  if (why !== undefined) return `${flag}: ${why}; leave it out`
  // by name or by id
  if (value === 'root' || value === '0') {
    if (name === rules.workerUser.user) return `${flag}: the workers would default to running as root; ${FOR_WWW}`
    if (name === rules.workerUser.group) return `${flag}: the workers would default to root's group; ${FOR_WWW}`
  }
  return undefined
}

function configureFlagSchema(rules: ConfigureFlagRules) {
  return z
    .string()
    .regex(rules.pattern, `must be a ./configure flag such as ${rules.example}`)
    .superRefine((flag, ctx) => {
      const problem = rules.pattern.test(flag) ? configureFlagProblem(flag, rules) : undefined
      if (problem !== undefined) ctx.addIssue({code: 'custom', message: problem})
    })
}

// the prefix is lnmp-deploy's: a versioned directory per build under `prefix`, switched by its symlink
const phpFlagSchema = configureFlagSchema({
  pattern: /^--[a-z0-9-]+(=[A-Za-z0-9_./:=+-]*)?$/,
  example: '--with-curl',
  owned: {
    '--prefix': "lnmp-deploy sets the prefix itself, a directory per build under the config's prefix",
    '--with-config-file-scan-dir': "lnmp-deploy sets it to the build's etc/conf.d, where the session and memcache settings go",
  },
  workerUser: {user: '--with-fpm-user', group: '--with-fpm-group'},
})

const nginxFlagSchema = configureFlagSchema({
  pattern: /^--[a-z0-9_-]+(=[A-Za-z0-9_./:=+-]*)?$/,
  example: '--with-http_v2_module',
  owned: {'--prefix': "lnmp-deploy sets the prefix itself, a directory per build under the config's prefix"},
  workerUser: {user: '--user', group: '--group'},
})

export const phpSchema = z.strictObject({
  version: versionSchema.default(DEFAULT_PHP_VERSION),
  // either features (translated per version) or literal configure flags (checked against the version)
  features: z.array(phpFeatureSchema).optional(),
  flags: z.array(phpFlagSchema).optional(),
  // 127.0.0.1:PORT (TCP on loopback) or the absolute path of a unix socket
  fpmListen: z
    .string()
    .regex(/^(127\.0\.0\.1:\d+|\/[A-Za-z0-9._/-]+)$/, 'must be 127.0.0.1:PORT or the absolute path of a unix socket')
    .superRefine((listen, ctx) => {
      const port = /^127\.0\.0\.1:(\d+)$/.exec(listen)?.[1]
      if (port === undefined) return
      if (Number(port) < 1 || Number(port) > 65_535) {
        ctx.addIssue({code: 'custom', message: `${listen}: port ${port} is out of range: a port is 1 to 65535`})
      } else if (port.startsWith('0')) {
        ctx.addIssue({code: 'custom', message: `${listen}: write the port without leading zeros, as 127.0.0.1:${Number(port)}`})
      }
    })
    .default('127.0.0.1:9000'),
})

export const nginxSchema = z.strictObject({
  version: versionSchema.default(DEFAULT_NGINX_VERSION),
  extraFlags: z.array(nginxFlagSchema).default([]),
})

export const buildSchema = z.strictObject({
  // hosts compiling at once: 1 lets the second web host reuse the first one's compiler cache; 0 = no limit
  parallelHosts: z.number().int().min(0).max(64).default(0),
  // compile through ccache when the host has it (build-deps installs it): a rebuild takes a fraction
  ccache: z.boolean().default(true),
  // build once, ship: one web host compiles, the others of its platform install its package; false: each compiles (the procedure)
  once: z.boolean().default(true),
  // the web host that compiles; every web host of the same platform installs its package (default: the first web host)
  builder: hostNameSchema.optional(),
})

export const appSchema = z.strictObject({
  kind: z.enum(['phpmyadmin', 'session-demo']).default('session-demo'),
  serverName: addressSchema.default('phpmyadmin.oldboy.com'),
})

export const databaseSchema = z.strictObject({
  rootPassword: secretRefSchema.optional(),
  appUser: userNameSchema.default('oldboy'),
  appPassword: secretRefSchema.optional(),
})

export const memcachedSchema = z.strictObject({
  port: portSchema.default(11211),
  memoryMb: z.number().int().min(16).max(65_536).default(64),
  // never 0.0.0.0 unless the user says so
  listenAll: z.boolean().default(false),
})

export const sessionSchema = z.strictObject({
  handler: z.enum(['memcache', 'memcached', 'files']).default('memcache'),
})

// the ports the steps use without a config key: MariaDB's (src/steps/mariadb.ts) and nginx's, on every web host and lb01
const MARIADB_PORT = 3306
const HTTP_PORT = 80

/** The TCP port of php.fpmListen (127.0.0.1:PORT); undefined for a unix socket, or a port the field itself refuses. */
export function fpmListenPort(listen: string): number | undefined {
  const port = /^127\.0\.0\.1:([1-9]\d{0,4})$/.exec(listen)?.[1]
  return port === undefined || Number(port) > 65_535 ? undefined : Number(port)
}

/** What the port checks read of a parsed config. */
interface PortsView {
  ssh: {port: number}
  hosts: ReadonlyArray<{name: string; port?: number | undefined; roles: readonly Role[]}>
  php: {fpmListen: string}
  memcached: {port: number}
}

/** Whose SSH port `port` is: 22 always, ssh.port and each host's own port; undefined when it is none of them. */
function sshPortOwner(cfg: PortsView, port: number): string | undefined {
  if (port === 22) return "SSH's port"
  if (port === cfg.ssh.port) return 'the SSH port (ssh.port)'
  const i = cfg.hosts.findIndex((h) => h.port === port)
  return i < 0 ? undefined : `${cfg.hosts[i]?.name}'s SSH port (hosts[${i}].port)`
}

/** The hosts with role `role` and any of `others`, as a phrase with its verb ("db01 runs", "web01, web02 run"); undefined for none. */
function hostsWithBoth(cfg: PortsView, role: Role, others: readonly Role[]): string | undefined {
  const names = cfg.hosts.filter((h) => h.roles.includes(role) && others.some((r) => h.roles.includes(r))).map((h) => h.name)
  return names.length === 0 ? undefined : `${names.join(', ')} ${names.length === 1 ? 'runs' : 'run'}`
}

const ANOTHER_PORT = "choose another port, such as memcached's own 11211"

/**
 * Why memcached.port may not be the port it is, or undefined when it may. The firewall of the db and cache hosts
 * lets only the web hosts reach memcached's port: on an SSH port it would shut SSH out for every other host,
 * the controller included.
 */
function memcachedPortClash(cfg: PortsView): string | undefined {
  const port = cfg.memcached.port
  const ssh = sshPortOwner(cfg, port)
  if (ssh !== undefined) {
    return `${port} is ${ssh}: the db and cache hosts' firewall lets only the web hosts reach memcached's port, so it would shut SSH out for every other host, this machine included; ${ANOTHER_PORT}`
  }
  if (port === MARIADB_PORT) {
    const both = hostsWithBoth(cfg, 'cache', ['db'])
    return `${port} is MariaDB's port: memcached and MariaDB must not share one${both === undefined ? '' : ` (${both} both)`}; ${ANOTHER_PORT}`
  }
  const nginx = port === HTTP_PORT ? hostsWithBoth(cfg, 'cache', ['web', 'lb']) : undefined
  if (nginx !== undefined) return `${port} is nginx's port, and ${nginx} nginx and memcached both; ${ANOTHER_PORT}`
  const fpm = port === fpmListenPort(cfg.php.fpmListen) ? hostsWithBoth(cfg, 'cache', ['web']) : undefined
  if (fpm !== undefined) return `${port} is PHP-FPM's port (php.fpmListen), and ${fpm} PHP-FPM and memcached both; ${ANOTHER_PORT}`
  return undefined
}

/** Why php.fpmListen's port may not be the port it is: nginx's and sshd's are taken on every web host. */
function fpmPortClash(cfg: PortsView): string | undefined {
  const port = fpmListenPort(cfg.php.fpmListen)
  if (port === undefined) return undefined
  if (port === HTTP_PORT) return `${cfg.php.fpmListen}: ${port} is nginx's port on every web host; PHP-FPM could not listen there`
  const ssh = sshPortOwner(cfg, port)
  if (ssh !== undefined) return `${cfg.php.fpmListen}: ${port} is ${ssh}; sshd listens on it, so PHP-FPM could not`
  return undefined
}

export const configSchema = z
  .strictObject({
    version: z.literal(1),
    cluster: z.strictObject({name: hostNameSchema}).default({name: 'lnmp'}),
    ssh: sshSchema.default(sshSchema.parse({})),
    hosts: z.array(hostSchema).min(1),
    prefix: absolutePathSchema.default('/application'),
    nginx: nginxSchema.default(nginxSchema.parse({})),
    php: phpSchema.default(phpSchema.parse({})),
    build: buildSchema.default(buildSchema.parse({})),
    // overrides of the built-in artifact table (src/artifacts.ts): nginx, php, memcache, phpmyadmin
    artifacts: z.partialRecord(z.enum(['nginx', 'php', 'memcache', 'phpmyadmin']), artifactSchema).default({}),
    // where uploaded sources are cached on the controller, relative to the config file
    artifactCache: z.string().min(1).optional(),
    // where compiled packages are kept on the controller, relative to the config file (.lnmp-deploy/packages)
    packageCache: z.string().min(1).optional(),
    app: appSchema.default(appSchema.parse({})),
    database: databaseSchema.default(databaseSchema.parse({})),
    memcached: memcachedSchema.default(memcachedSchema.parse({})),
    session: sessionSchema.default(sessionSchema.parse({})),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>()
    cfg.hosts.forEach((h, i) => {
      if (seen.has(h.name)) {
        ctx.addIssue({code: 'custom', path: ['hosts', i, 'name'], message: `duplicate host name ${h.name}`})
      }
      seen.set(h.name, i)
    })
    cfg.hosts.forEach((h, i) => {
      if (h.jump && !h.jump.includes('@') && !h.jump.includes('.') && !h.jump.includes(':') && !seen.has(h.jump)) {
        ctx.addIssue({code: 'custom', path: ['hosts', i, 'jump'], message: `jump host ${h.jump} is not a configured host`})
      }
    })
    const builder = cfg.build.builder
    if (builder !== undefined && !cfg.hosts.some((h) => h.name === builder && h.roles.includes('web'))) {
      ctx.addIssue({code: 'custom', path: ['build', 'builder'], message: `build.builder ${builder} is not a configured web host`})
    }
    if (cfg.php.features && cfg.php.flags) {
      ctx.addIssue({code: 'custom', path: ['php', 'flags'], message: 'give php.features or php.flags, not both'})
    }
    const memcachedClash = memcachedPortClash(cfg)
    if (memcachedClash !== undefined) ctx.addIssue({code: 'custom', path: ['memcached', 'port'], message: memcachedClash})
    const fpmClash = fpmPortClash(cfg)
    if (fpmClash !== undefined) ctx.addIssue({code: 'custom', path: ['php', 'fpmListen'], message: fpmClash})
  })

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>
