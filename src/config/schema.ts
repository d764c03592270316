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
export const addressSchema = z
  .string()
  .regex(
    /^(?:[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$|^[0-9a-f:.]+$/i,
    'must be a DNS name or an IP address',
  )

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
  address: addressSchema,
  // the address other hosts use to reach this one (binds, grants, upstreams); defaults to `address`
  privateAddress: addressSchema.optional(),
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

export const phpSchema = z.strictObject({
  version: versionSchema.default(DEFAULT_PHP_VERSION),
  // either features (translated per version) or literal configure flags (checked against the version)
  features: z.array(phpFeatureSchema).optional(),
  flags: z.array(z.string().regex(/^--[a-z0-9-]+(=[A-Za-z0-9_./:=+-]*)?$/, 'must be a ./configure flag such as --with-curl')).optional(),
  fpmListen: z
    .string()
    .regex(/^(127\.0\.0\.1:\d+|\/[A-Za-z0-9._/-]+)$/)
    .default('127.0.0.1:9000'),
})

export const nginxSchema = z.strictObject({
  version: versionSchema.default(DEFAULT_NGINX_VERSION),
  extraFlags: z.array(z.string().regex(/^--[a-z0-9_-]+(=[A-Za-z0-9_./:=+-]*)?$/)).default([]),
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
  })

export type Config = z.infer<typeof configSchema>
export type ConfigInput = z.input<typeof configSchema>
