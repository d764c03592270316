import {and, cmd, or, quote} from '../ssh/shell.js'
import {osMajor} from './detect.js'
import type {HostFacts} from './facts.js'

/**
 * What a step needs installed, independent of the distribution. The order here is the order packages are
 * listed in the install command, so a plan reads the same from run to run.
 */
export const PACKAGE_NEEDS = [
  'build-essentials',
  'autoconf',
  'xz',
  'pcre2',
  'openssl',
  'zlib',
  'libxml2',
  'sqlite3',
  'curl',
  'png',
  'jpeg',
  'freetype',
  'oniguruma',
  'xslt',
  'sodium',
  'zip',
  'ccache',
  'download',
  'memcached',
  'mariadb-server',
  'mariadb-client',
  'nginx',
  'netcat',
  'nftables',
  'firewalld',
] as const
export type PackageNeed = (typeof PACKAGE_NEEDS)[number]

const DEBIAN: Record<PackageNeed, string[]> = {
  'build-essentials': ['build-essential', 'pkg-config'],
  autoconf: ['autoconf'],
  xz: ['xz-utils'],
  pcre2: ['libpcre2-dev'],
  openssl: ['libssl-dev'],
  zlib: ['zlib1g-dev'],
  libxml2: ['libxml2-dev'],
  sqlite3: ['libsqlite3-dev'],
  curl: ['libcurl4-openssl-dev'],
  png: ['libpng-dev'],
  jpeg: ['libjpeg-dev'],
  freetype: ['libfreetype-dev'],
  oniguruma: ['libonig-dev'],
  xslt: ['libxslt1-dev'],
  sodium: ['libsodium-dev'],
  zip: ['libzip-dev'],
  ccache: ['ccache'],
  download: ['curl', 'ca-certificates'],
  memcached: ['memcached'],
  'mariadb-server': ['mariadb-server'],
  'mariadb-client': ['mariadb-client'],
  nginx: ['nginx'],
  netcat: ['netcat-openbsd'],
  nftables: ['nftables'],
  firewalld: ['firewalld'],
}

const RHEL: Record<PackageNeed, string[]> = {
  // pkgconf-pkg-config on EL8/9 (see packagesFor): rpm -q knows packages by name, not by what they provide
  'build-essentials': ['gcc', 'gcc-c++', 'make', 'pkgconfig'],
  autoconf: ['autoconf'],
  xz: ['xz'],
  pcre2: ['pcre2-devel'],
  openssl: ['openssl-devel'],
  zlib: ['zlib-devel'],
  libxml2: ['libxml2-devel'],
  sqlite3: ['sqlite-devel'],
  curl: ['libcurl-devel'],
  png: ['libpng-devel'],
  jpeg: ['libjpeg-turbo-devel'],
  freetype: ['freetype-devel'],
  oniguruma: ['oniguruma-devel'],
  xslt: ['libxslt-devel'],
  sodium: ['libsodium-devel'],
  zip: ['libzip-devel'],
  // EPEL on every EL release
  ccache: ['ccache'],
  // curl (or curl-minimal) is in every EL base install, and asking for `curl` conflicts with curl-minimal on EL9
  download: ['ca-certificates'],
  memcached: ['memcached'],
  'mariadb-server': ['mariadb-server'],
  'mariadb-client': ['mariadb'],
  nginx: ['nginx'],
  netcat: ['nmap-ncat'],
  nftables: ['nftables'],
  firewalld: ['firewalld'],
}

/** Package names for the needs on this host, in a stable order, without duplicates. */
export function packagesFor(needs: Iterable<PackageNeed>, facts: HostFacts): string[] {
  const table = facts.osFamily === 'debian' ? DEBIAN : RHEL
  const wanted = new Set(needs)
  const names = PACKAGE_NEEDS.filter((n) => wanted.has(n)).flatMap((n) => table[n])
  const renamed =
    facts.osFamily === 'rhel' && osMajor(facts) >= 8 ? names.map((n) => (n === 'pkgconfig' ? 'pkgconf-pkg-config' : n)) : names
  return [...new Set(renamed)]
}

/**
 * Extra repositories some -devel packages live in on the RHEL family:
 * - EL8 (Rocky/Alma): oniguruma-devel and libzip-devel are in PowerTools, libsodium-devel in EPEL.
 * - EL9: oniguruma-devel and libzip-devel in CRB, libsodium-devel in EPEL (which itself expects CRB).
 * - CentOS 7: oniguruma-devel, libsodium-devel and nginx come from EPEL.
 * - ccache is in EPEL on every EL release.
 */
export type ExtraRepo = 'epel' | 'powertools' | 'crb'

export function reposFor(packages: readonly string[], facts: Pick<HostFacts, 'osFamily' | 'osVersion'>): ExtraRepo[] {
  if (facts.osFamily !== 'rhel') return []
  const major = osMajor(facts)
  const has = (p: string) => packages.includes(p)
  const repos = new Set<ExtraRepo>()
  if (major <= 7) {
    if (has('oniguruma-devel') || has('libsodium-devel') || has('nginx') || has('ccache')) repos.add('epel')
  } else {
    const coreDevel = major === 8 ? 'powertools' : 'crb'
    if (has('oniguruma-devel') || has('libzip-devel')) repos.add(coreDevel)
    if (has('libsodium-devel')) {
      repos.add('epel')
      repos.add(coreDevel)
    }
    if (has('ccache')) repos.add('epel')
  }
  return (['epel', 'powertools', 'crb'] as const).filter((r) => repos.has(r))
}

/** Commands that enable the repositories, idempotent; undefined when none are needed. */
export function repoSetupCommand(
  repos: readonly ExtraRepo[],
  facts: Pick<HostFacts, 'osId' | 'osVersion' | 'packageManager'>,
): string | undefined {
  if (repos.length === 0) return undefined
  const major = osMajor(facts)
  if (facts.osId === 'rhel') {
    // RHEL proper has no epel-release in its own repositories and enables CRB through subscription-manager
    const parts: string[] = []
    if (repos.includes('epel')) {
      parts.push(
        or(
          'rpm -q epel-release >/dev/null 2>&1',
          `dnf install -y https://dl.fedoraproject.org/pub/epel/epel-release-latest-${major}.noarch.rpm`,
        ),
      )
    }
    if (repos.includes('crb') || repos.includes('powertools')) {
      parts.push(`subscription-manager repos --enable codeready-builder-for-rhel-${major}-$(arch)-rpms`)
    }
    return and(...parts)
  }

  const pm = facts.packageManager === 'yum' ? 'yum' : 'dnf'
  const parts: string[] = []
  if (repos.includes('epel')) parts.push(or('rpm -q epel-release >/dev/null 2>&1', `${pm} install -y epel-release`))
  const toEnable = repos.filter((r) => r !== 'epel')
  if (toEnable.length > 0) {
    parts.push(
      or('rpm -q dnf-plugins-core >/dev/null 2>&1', 'dnf install -y dnf-plugins-core'),
      cmd('dnf', 'config-manager', '--set-enabled', ...toEnable),
    )
  }
  // or() braces each `a || b` (sh's && and || bind equally): a failed EPEL install stops the chain
  return and(...parts)
}

const APT = 'apt-get -o DPkg::Lock::Timeout=600'

/** What of a host's facts installCommand reads: the package manager, and the family and release that pick extra repositories. */
export type PackagePlatform = Pick<HostFacts, 'osId' | 'osVersion' | 'osFamily' | 'packageManager'>

/** Just those facts, as plain data a step's inputs can carry (and hash) without the rest (cores, arch, ...). */
export function packagePlatform(facts: PackagePlatform): PackagePlatform {
  return {osId: facts.osId, osVersion: facts.osVersion, osFamily: facts.osFamily, packageManager: facts.packageManager}
}

/**
 * The install command for the packages. apt waits up to 10 minutes for a held dpkg lock (unattended
 * upgrades on a fresh host) instead of failing; empty package lists (fresh containers) are fetched first,
 * and stale ones (a 404 from the mirror) are refreshed once and the install retried. dnf and yum wait
 * for each other's lock by themselves.
 */
export function installCommand(packages: readonly string[], facts: PackagePlatform): string {
  if (packages.length === 0) return 'true'
  if (facts.packageManager === 'apt') {
    const install = `DEBIAN_FRONTEND=noninteractive ${APT} install -y --no-install-recommends ${cmd(...packages)}`
    return `if ! ls /var/lib/apt/lists | grep -q _Packages; then ${APT} update; fi && { ${install} || { ${APT} update && ${install}; }; }`
  }
  const repos = reposFor(packages, facts)
  const setup = repoSetupCommand(repos, facts)
  const install = `${facts.packageManager} install -y ${cmd(...packages)}`
  return setup ? and(setup, install) : install
}

/** Lists which of the packages are installed; feed its stdout to parseMissingPackages. Exit code is not meaningful. */
export function packageQueryCommand(packages: readonly string[], facts: HostFacts): string {
  if (facts.packageManager === 'apt') return `dpkg-query -W -f '\${Package} \${Status}\\n' ${cmd(...packages)} 2>/dev/null`
  return `rpm -q --qf '%{NAME} installed\\n' ${cmd(...packages)}`
}

/** The requested packages that the query's output does not show as installed, in the requested order. */
export function parseMissingPackages(packages: readonly string[], output: string, facts: HostFacts): string[] {
  const installed = new Set<string>()
  for (const line of output.split('\n')) {
    const words = line.trim().split(/\s+/)
    const name = words[0]
    if (!name) continue
    if (facts.packageManager === 'apt') {
      // "${Package} ${Status}": want "install ok installed"; "deinstall ok config-files" is not installed
      if (words.at(-1) === 'installed' && words.at(-2) === 'ok') installed.add(name.replace(/:.*$/, ''))
    } else if (words[1] === 'installed' && words.length === 2) {
      installed.add(name)
    }
  }
  return packages.filter((p) => !installed.has(p))
}

/** A package name as both families spell them: nothing a shell would read as more than a word. */
const PACKAGE_NAME = '^[A-Za-z0-9][A-Za-z0-9.+_-]*$'

/**
 * Shell: the packages owning the shared libraries `files` load (ldd, then the package database), one per line,
 * into `manifest`. A host that installs the build instead of compiling it installs exactly these: the runtime of
 * this build, derived from the build itself, not from a hand list. (usrmerge: a library ldd finds under /lib
 * may be recorded under /usr/lib, or the other way round.)
 */
export function runtimePackagesScript(files: string, manifest: string, facts: HostFacts): string {
  const owner =
    facts.packageManager === 'apt'
      ? `{ dpkg -S "$lib" || dpkg -S "$(readlink -f "$lib")" || dpkg -S "/usr$lib" || dpkg -S "\${lib#/usr}"; } 2>/dev/null | head -n 1 | cut -d: -f1`
      : `{ rpm -qf --qf '%{NAME}\\n' "$lib" || rpm -qf --qf '%{NAME}\\n' "$(readlink -f "$lib")"; } 2>/dev/null | head -n 1`
  return [
    `for f in ${files}; do ldd "$f" 2>/dev/null || true; done | awk '$2 == "=>" && $3 ~ /^\\// {print $3}' | sort -u |`,
    `while read -r lib; do ${owner}; done | grep -E ${quote(PACKAGE_NAME)} | sort -u > ${quote(manifest)}`,
  ].join('\n')
}

/** Shell: installs the packages a runtime manifest lists (nothing when it lists none). */
export function installListedCommand(manifest: string, facts: HostFacts): string {
  const read = `pkgs=$(grep -E ${quote(PACKAGE_NAME)} ${quote(manifest)} | tr '\\n' ' ')`
  if (facts.packageManager === 'apt') {
    const install = `DEBIAN_FRONTEND=noninteractive ${APT} install -y --no-install-recommends $pkgs`
    return `{ ${read}; if [ -n "$pkgs" ]; then if ! ls /var/lib/apt/lists | grep -q _Packages; then ${APT} update; fi && { ${install} || { ${APT} update && ${install}; }; }; fi; }`
  }
  // one compound command: its status is the install's, and it chains with && as one
  return `{ ${read}; if [ -n "$pkgs" ]; then ${facts.packageManager} install -y $pkgs; fi; }`
}
