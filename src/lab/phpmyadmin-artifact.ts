import {mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {ArtifactError} from '../errors.js'
import type {LabArtifact} from './client-files.js'
import {run} from './exec.js'

/**
 * A phpMyAdmin that runs from a plain directory, built from Debian's phpmyadmin 5.2.1 package: the DFSG
 * source tarball lacks vendor/, and Debian's package finds its libraries through PHP's include_path in
 * /usr/share/php. We download (never install) the package and the PHP library packages it needs, unpack
 * them, put the libraries under vendor/ with an autoloader that points include_path there, and tar it.
 */

export const PHPMYADMIN_VERSION = '5.2.1'

// runtime pieces the deployment builds itself (PHP and its extensions) or that are not libraries
const NOT_LIBRARIES = new Set(['php-cli', 'php-common', 'php-json', 'php-mbstring', 'php-mysql', 'php-xml'])

/** The PHP library packages among `apt-cache depends --recurse phpmyadmin` output. */
export function libraryPackages(dependsOutput: string): string[] {
  const names = dependsOutput
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^php-[a-z0-9.+-]+$/.test(l) && !NOT_LIBRARIES.has(l))
  return [...new Set(names)].sort()
}

export function binaryAptSourcesList(): string {
  return [
    "# lnmp-deploy lab: binary packages for the phpMyAdmin artifact (not the machine's apt sources)",
    'deb http://deb.debian.org/debian bookworm main',
    'deb http://deb.debian.org/debian-security bookworm-security main',
    '',
  ].join('\n')
}

/** vendor/autoload.php: libraries resolve from vendor/ first, then Debian's own autoload.php wires them up. */
export const VENDOR_AUTOLOAD = `<?php
// lnmp-deploy lab: Debian's autoload.php requires each library by include_path; they live beside this file
declare(strict_types=1);
set_include_path(__DIR__ . PATH_SEPARATOR . get_include_path());
require_once __DIR__ . '/../autoload.php';
`

/** libraries/vendor_config.php with upstream's paths (inside the app dir) instead of Debian's /etc and /var/lib. */
export const VENDOR_CONFIG = `<?php
// lnmp-deploy lab: paths of a self-contained phpMyAdmin directory (upstream's layout)
declare(strict_types=1);

if (! defined('PHPMYADMIN')) {
    exit;
}

return [
    'autoloadFile' => ROOT_PATH . 'vendor' . DIRECTORY_SEPARATOR . 'autoload.php',
    'tempDir' => ROOT_PATH . 'tmp' . DIRECTORY_SEPARATOR,
    'changeLogFile' => ROOT_PATH . 'ChangeLog',
    'licenseFile' => ROOT_PATH . 'LICENSE',
    'sqlDir' => ROOT_PATH . 'sql' . DIRECTORY_SEPARATOR,
    'configFile' => ROOT_PATH . 'config.inc.php',
    'customHeaderFile' => ROOT_PATH . 'config.header.inc.php',
    'customFooterFile' => ROOT_PATH . 'config.footer.inc.php',
    'versionCheckDefault' => false,
    'localePath' => ROOT_PATH . 'locale' . DIRECTORY_SEPARATOR,
    'cacheDir' => ROOT_PATH . 'libraries' . DIRECTORY_SEPARATOR . 'cache' . DIRECTORY_SEPARATOR,
    'versionSuffix' => '',
];
`

export async function buildPhpMyAdminArtifact(
  workDir: string,
  aptOptionsFor: (aptDir: string) => string[],
  sha256File: (file: string) => Promise<string>,
  log: (m: string) => void,
): Promise<LabArtifact> {
  const aptDir = path.join(workDir, 'apt')
  const debs = path.join(workDir, 'debs')
  const tree = path.join(workDir, 'tree')
  const unpacked = path.join(workDir, 'unpacked')
  await rm(workDir, {recursive: true, force: true})
  for (const d of [path.join(aptDir, 'lists/partial'), path.join(aptDir, 'cache/archives/partial'), debs, tree, unpacked])
    await mkdir(d, {recursive: true})
  await writeFile(path.join(aptDir, 'sources.list'), binaryAptSourcesList())
  const apt = aptOptionsFor(aptDir)
  log('phpmyadmin: apt-get update (lab-own binary lists: bookworm, bookworm-security)')
  await run('apt-get update of the lab binary lists', 'apt-get', [...apt, 'update', '-q'])
  const depends = await run('resolving phpmyadmin dependencies', 'apt-cache', [
    ...apt,
    'depends',
    '--recurse',
    '--no-recommends',
    '--no-suggests',
    '--no-conflicts',
    '--no-breaks',
    '--no-replaces',
    '--no-enhances',
    '--no-pre-depends',
    'phpmyadmin',
  ])
  const libs = libraryPackages(depends.stdout)
  log(`phpmyadmin: apt-get download phpmyadmin=4:${PHPMYADMIN_VERSION}* and ${libs.length} library packages`)
  // apt-get download checks each .deb against the signed Packages index
  await run(
    'downloading phpmyadmin and its libraries',
    'apt-get',
    [...apt, 'download', '-q', `phpmyadmin=4:${PHPMYADMIN_VERSION}*`, ...libs],
    {cwd: debs},
  )
  const files = (await readdir(debs)).filter((f) => f.endsWith('.deb'))
  if (!files.some((f) => f.startsWith(`phpmyadmin_4%3a${PHPMYADMIN_VERSION}`))) {
    throw new ArtifactError(`phpmyadmin: no phpmyadmin ${PHPMYADMIN_VERSION} package among the downloads (${files.join(', ')})`)
  }
  for (const f of files) await run(`unpacking ${f}`, 'dpkg-deb', ['-x', path.join(debs, f), unpacked])

  const app = path.join(tree, `phpMyAdmin-${PHPMYADMIN_VERSION}`)
  await run('assembling phpMyAdmin', 'cp', ['-a', path.join(unpacked, 'usr/share/phpmyadmin'), app])
  await run('assembling phpMyAdmin vendor/', 'cp', ['-a', path.join(unpacked, 'usr/share/php'), path.join(app, 'vendor')])
  await writeFile(path.join(app, 'vendor/autoload.php'), VENDOR_AUTOLOAD)
  await writeFile(path.join(app, 'libraries/vendor_config.php'), VENDOR_CONFIG)
  await mkdir(path.join(app, 'tmp'), {recursive: true})

  const file = path.join(workDir, `phpMyAdmin-${PHPMYADMIN_VERSION}-debian-lab.tar.gz`)
  // deterministic tar: the same packages give the same sha256
  await run(
    'packing phpMyAdmin',
    'tar',
    ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '-czf', file, '-C', tree, path.basename(app)],
    {
      env: {GZIP: '-n'},
    },
  )
  for (const d of [debs, unpacked, tree]) await rm(d, {recursive: true, force: true})
  return {file, sha256: await sha256File(file), version: PHPMYADMIN_VERSION}
}
