import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {opensslSeries} from '../../src/php/buildable.js'
import {parseFacts} from '../../src/platform/detect.js'
import {PACKAGE_NEEDS, packagesFor, parseMissingPackages} from '../../src/platform/packages.js'
import {mysqlRootCommand, rootAuthFor} from '../../src/steps/mariadb.js'
import {FACTS} from './steps-support-fixtures.js'

/**
 * The facts probe's parser against its command's output as recorded on real lab hosts (`lnmp-deploy lab up
 * --os <release>`, then FACTS_COMMAND over SSH as the config's user), and the shared fixtures checked against
 * what the parser makes of them, so a step's plan cases stand on facts a real host gave.
 */
const recorded = (name: string): string => readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'recorded', name), 'utf8')

describe('facts recorded on lab hosts', () => {
  it('Debian 13 (trixie), logged in as deploy: the debian13 fixture', () => {
    const facts = parseFacts('web01', recorded('facts-debian13-trixie.txt'))
    expect(facts).toEqual(FACTS.debian13)
    // OpenSSL 3.5 on trixie (libssl3t64): the same series rules as bookworm's 3.0
    expect(opensslSeries(facts)).toBe('3')
  })

  it("Debian 13's package names are Debian 12's: the build-deps query on a trixie web host after the deploy", () => {
    // recorded with packageQueryCommand(packagesFor(every build and tool need, debian13)) on web01
    const output = recorded('packages-web01-debian13-trixie.txt')
    // every need but the services' packages, which the web host does not get
    const needs = PACKAGE_NEEDS.filter((n) => !['memcached', 'mariadb-server', 'mariadb-client', 'nginx', 'firewalld'].includes(n))
    const wanted = packagesFor(needs, FACTS.debian13)
    expect(wanted).toEqual(packagesFor(needs, FACTS.debian12))
    // the default features need no libzip, and only db01 gets nftables: everything else was installed by these names
    expect(parseMissingPackages(wanted, output, FACTS.debian13)).toEqual(['libzip-dev', 'nftables'])
  })

  it("MariaDB 11.8 on Debian 13 keeps root's unix_socket beside a password, as 10.11 on Debian 12 does", () => {
    // recorded on db01 after the deploy: root@localhost is mysql_native_password OR unix_socket (auth_or), and
    // `mysql` is still there, a link to `mariadb` in mariadb-client-core
    const output = recorded('mariadb-root-db01-debian13-trixie.txt')
    expect(output).toMatch(/^version\t11\.8\.\d+-MariaDB/m)
    expect(output).toMatch(/^root-plugins\t"mysql_native_password"\t1$/m)
    expect(rootAuthFor(FACTS.debian13)).toBe('socket-or-password')
    expect(mysqlRootCommand(rootAuthFor(FACTS.debian13))).toBe('mysql --protocol=socket -uroot -N -B')
  })
})
