import {artifactFileName, type Config} from './config/schema.js'
import {ArtifactError} from './errors.js'

export {DEFAULT_NGINX_VERSION, DEFAULT_PHP_VERSION} from './default-versions.js'

export type ArtifactName = 'nginx' | 'php' | 'memcache' | 'phpmyadmin'

export interface ArtifactEntry {
  url: string
  /** only values verified through a signed source: here, Debian's Sources indexes (InRelease -> Sources -> orig tarball) */
  sha256?: string
  fileName: string
  /** the directory the tarball unpacks into */
  topDir?: string
}

export interface ResolvedArtifact {
  url?: string
  /** a local file on the controller (uploaded to the host), from the config */
  file?: string
  sha256: string
  fileName: string
  /** the directory the tarball unpacks into, when known (unknown for config overrides) */
  topDir?: string
}

const DEBIAN = 'http://deb.debian.org/debian/pool/main'

/**
 * The one table of source artifacts. Debian's orig tarballs are the upstream release tarballs (PHP and
 * nginx ship them with their upstream signature beside them) and their sha256 comes from a signed
 * index; the upstream URLs below could not be verified here, so they carry no sha256 and the config must
 * give one (artifacts.<name>.sha256).
 */
export const ARTIFACTS: Record<ArtifactName, Record<string, ArtifactEntry>> = {
  nginx: {
    // bookworm nginx 1.22.1-9+deb12u9 / u11
    '1.22.1': {
      url: `${DEBIAN}/n/nginx/nginx_1.22.1.orig.tar.gz`,
      sha256: '9ebb333a9e82b952acd3e2b4aeb1d4ff6406f72491bab6cd9fe69f0dea737f31',
      fileName: 'nginx_1.22.1.orig.tar.gz',
      topDir: 'nginx-1.22.1',
    },
    '1.24.0': {url: 'https://nginx.org/download/nginx-1.24.0.tar.gz', fileName: 'nginx-1.24.0.tar.gz', topDir: 'nginx-1.24.0'},
    // trixie nginx 1.26.3-3+deb13u10
    '1.26.3': {
      url: `${DEBIAN}/n/nginx/nginx_1.26.3.orig.tar.gz`,
      sha256: '69ee2b237744036e61d24b836668aad3040dda461fe6f570f1787eab570c75aa',
      fileName: 'nginx_1.26.3.orig.tar.gz',
      topDir: 'nginx-1.26.3',
    },
  },
  php: {
    '8.1.33': {url: 'https://www.php.net/distributions/php-8.1.33.tar.xz', fileName: 'php-8.1.33.tar.xz', topDir: 'php-8.1.33'},
    // bookworm php8.2 8.2.32-1~deb12u1: the version the lab builds and the facts were measured on
    '8.2.32': {
      url: `${DEBIAN}/p/php8.2/php8.2_8.2.32.orig.tar.xz`,
      sha256: 'e02aa173c236c12791696254d607da680e6d5516f8f5c2339642de7c4f944bd2',
      fileName: 'php8.2_8.2.32.orig.tar.xz',
      topDir: 'php-8.2.32',
    },
    // bookworm-security php8.2 8.2.36-1~deb12u1 (listed in the signed index; the pool file was not reachable from here)
    '8.2.36': {
      url: 'http://deb.debian.org/debian-security/pool/updates/main/p/php8.2/php8.2_8.2.36.orig.tar.xz',
      sha256: 'df50a00d2b453096608bf2bd98a9fab9a3df8678a77b93011b65c3cfe9a018fa',
      fileName: 'php8.2_8.2.36.orig.tar.xz',
      topDir: 'php-8.2.36',
    },
    // Debian ships no PHP 8.3 and php.net is not reachable from here to check a signature: the config must give its sha256
    '8.3.14': {url: 'https://www.php.net/distributions/php-8.3.14.tar.xz', fileName: 'php-8.3.14.tar.xz', topDir: 'php-8.3.14'},
    // trixie-security php8.4 8.4.24-1~deb13u1: the sha256 is the one in that upload's .dsc, whose signature (the
    // Debian PHP maintainer's) gpgv accepted against trixie's debian-keyring package; the current signed index
    // lists 8.4.27/8.4.28, whose tarballs the mirror here does not serve
    '8.4.24': {
      url: `${DEBIAN}/p/php8.4/php8.4_8.4.24.orig.tar.xz`,
      sha256: 'e127be09a8506f4327c5cfa78a614b00d210714484ec215ce0011b4a03c00731',
      fileName: 'php8.4_8.4.24.orig.tar.xz',
      topDir: 'php-8.4.24',
    },
  },
  memcache: {
    // trixie php-memcache 8.2-5: the PECL memcache-8.2 tarball (package.xml beside memcache-8.2/)
    '8.2': {
      url: `${DEBIAN}/p/php-memcache/php-memcache_8.2.orig.tar.gz`,
      sha256: 'b3f0640eacdeb9046c6c86a1546d7fb8a4e9f219e5d9a36a287e59b2dd8208e5',
      fileName: 'php-memcache_8.2.orig.tar.gz',
      topDir: 'memcache-8.2',
    },
    '4.0.5.2': {url: 'https://pecl.php.net/get/memcache-4.0.5.2.tgz', fileName: 'memcache-4.0.5.2.tgz', topDir: 'memcache-4.0.5.2'},
    '3.0.8': {url: 'https://pecl.php.net/get/memcache-3.0.8.tgz', fileName: 'memcache-3.0.8.tgz', topDir: 'memcache-3.0.8'},
  },
  phpmyadmin: {
    // Debian's 5.2.1+dfsg orig tarball lacks vendor/ and does not run, so it is not listed
    '5.2.1': {
      url: 'https://files.phpmyadmin.net/phpMyAdmin/5.2.1/phpMyAdmin-5.2.1-all-languages.tar.xz',
      fileName: 'phpMyAdmin-5.2.1-all-languages.tar.xz',
      topDir: 'phpMyAdmin-5.2.1-all-languages',
    },
  },
}

/** Where upstream publishes a version the table does not list (still needs a sha256 from the config). */
function upstream(name: ArtifactName, version: string): ArtifactEntry {
  switch (name) {
    case 'nginx':
      return {url: `https://nginx.org/download/nginx-${version}.tar.gz`, fileName: `nginx-${version}.tar.gz`, topDir: `nginx-${version}`}
    case 'php':
      return {url: `https://www.php.net/distributions/php-${version}.tar.xz`, fileName: `php-${version}.tar.xz`, topDir: `php-${version}`}
    case 'memcache':
      return {url: `https://pecl.php.net/get/memcache-${version}.tgz`, fileName: `memcache-${version}.tgz`, topDir: `memcache-${version}`}
    case 'phpmyadmin':
      return {
        url: `https://files.phpmyadmin.net/phpMyAdmin/${version}/phpMyAdmin-${version}-all-languages.tar.xz`,
        fileName: `phpMyAdmin-${version}-all-languages.tar.xz`,
        topDir: `phpMyAdmin-${version}-all-languages`,
      }
  }
}

/**
 * The source to use for an artifact: the config's `artifacts.<name>` entry when given (it always carries
 * a sha256), else the table's. Never returns an artifact without a verified sha256.
 */
export function resolveArtifact(name: ArtifactName, version: string, config: Pick<Config, 'artifacts'>): ResolvedArtifact {
  const override = config.artifacts[name]
  if (override) {
    if (override.url === undefined && override.file === undefined) throw new ArtifactError(`artifacts.${name}: needs a url or a file`)
    const fileName = artifactFileName(override)
    // the schema refuses such a url at load time; a config built in code skips the schema
    if (fileName === undefined) throw new ArtifactError(`artifacts.${name}.url: its last path segment does not decode to a file name`)
    return {
      ...(override.url === undefined ? {} : {url: override.url}),
      ...(override.file === undefined ? {} : {file: override.file}),
      sha256: override.sha256,
      fileName,
    }
  }

  const entry = ARTIFACTS[name][version] ?? upstream(name, version)
  if (entry.sha256 === undefined) {
    throw new ArtifactError(`no verified sha256 for ${name} ${version}; set artifacts.${name}.sha256`, {
      hint: `download ${entry.url}, check it against the publisher's signature, and put its url (or a local file) and sha256 under artifacts.${name} in the config`,
    })
  }
  return {url: entry.url, sha256: entry.sha256, fileName: entry.fileName, ...(entry.topDir ? {topDir: entry.topDir} : {})}
}
