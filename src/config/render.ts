import {Document, isMap, isScalar, isSeq, type YAMLMap} from 'yaml'
import type {Config} from './schema.js'

export interface RenderOptions {
  /** value of the `# yaml-language-server: $schema=` line (see schemaRefFor) */
  schemaRef: string
  /** a short note per host name, written as a comment beside it (init puts the detected OS and cores here) */
  hostNotes?: ReadonlyMap<string, string>
}

// Why each section exists, in the words a reviewer needs. Keys follow the schema's order.
const SECTION_COMMENTS: Readonly<Record<string, string>> = {
  version: 'Format of this file.',
  cluster: 'A name for this cluster, used in locks and logs.',
  ssh: [
    'How lnmp-deploy logs in to every host (a host entry may override user, port and identityFile).',
    'knownHosts is relative to this file and holds the host keys confirmed by `lnmp-deploy init`.',
  ].join('\n'),
  hosts: 'The machines and what runs on each: lb = nginx load balancer, web = nginx + PHP-FPM,\ndb = MariaDB, cache = memcached.',
  prefix: 'Where nginx and PHP are compiled to: <prefix>/<name>-<version>, with a <prefix>/<name> symlink.',
  nginx: 'nginx built from source on the web hosts (lb hosts use the distribution package).',
  php: 'PHP built from source with PHP-FPM. Give features (translated per version) or literal flags, not both.',
  artifacts: 'Overrides of the built-in source tarballs (url or local file, always with its sha256).',
  artifactCache: 'Where downloaded sources are cached on this machine, relative to this file.',
  app: 'What the web hosts serve.',
  database: 'MariaDB on the db host. Passwords are references only: ${env:NAME}, ${file:PATH} or ${prompt}.',
  session: 'The PHP extension that stores sessions in memcached (memcache, memcached), or files for none.',
}

/**
 * A Config as a reviewable YAML file: every section present with its effective values and a comment saying
 * what it is for. Secrets are already references in a Config (the schema admits nothing else), so nothing
 * secret can be written here. Loading the result gives back the same Config.
 */
export function renderConfig(config: Config, options: RenderOptions): string {
  const doc = new Document(withoutUndefined(config))
  const root = doc.contents as YAMLMap
  root.items.forEach((pair, index) => {
    if (!isScalar(pair.key)) return
    const key = String(pair.key.value)
    const comment = key === 'memcached' ? memcachedComment(config) : SECTION_COMMENTS[key]
    if (comment !== undefined) pair.key.commentBefore = prefixLines(comment)
    if (index > 0) pair.key.spaceBefore = true
  })

  const hosts = doc.get('hosts', true)
  if (isSeq(hosts)) {
    for (const host of hosts.items) {
      if (!isMap(host)) continue
      const roles = host.get('roles', true)
      if (isSeq(roles)) roles.flow = true
      const name = host.items.find((p) => isScalar(p.key) && p.key.value === 'name')
      const note = name && isScalar(name.value) ? options.hostNotes?.get(String(name.value.value)) : undefined
      if (note !== undefined && name && isScalar(name.value)) name.value.comment = ` ${note}`
    }
  }

  doc.commentBefore = prefixLines(
    [`yaml-language-server: $schema=${options.schemaRef}`, 'lnmp-deploy cluster config. Review it, then run `lnmp-deploy plan`.'].join(
      '\n',
    ),
  )
  return doc.toString({lineWidth: 0})
}

/** What the cache hosts are for, and what one store or several mean for a login (issue 10). */
function memcachedComment(config: Config): string {
  const stores = config.hosts.filter((h) => h.roles.includes('cache')).map((h) => h.name)
  if (stores.length < 2) {
    return [
      `memcached on the cache host${stores.length === 1 ? ` (${stores[0]})` : ''}, bound to its private address; PHP sessions live here.`,
      'One store: while it is down or restarted empty, nobody stays logged in. Give a second host the cache role',
      'and every session is kept on both.',
    ].join('\n')
  }
  const lines = [
    `memcached on each cache host (${stores.join(', ')}), bound to its private address; PHP sessions live on all of them.`,
    `${stores.length} stores: every session is written to each (memcache.session_redundancy) and a read that fails on one`,
    'goes to the next, so one memcached down or restarted empty logs nobody out.',
  ]
  if (config.session.handler !== 'memcache')
    lines.push(`Only session.handler memcache keeps these copies; ${config.session.handler} does not.`)
  return lines.join('\n')
}

// yaml writes a comment's lines after `#` as given; a leading space keeps `# text` readable
function prefixLines(text: string): string {
  return text
    .split('\n')
    .map((line) => ` ${line}`)
    .join('\n')
}

/** zod leaves optional keys out, but spreads can leave them as undefined, which yaml would write as null. */
function withoutUndefined<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T
}
