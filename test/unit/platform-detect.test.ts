import {describe, expect, it} from 'vitest'
import {DeployError} from '../../src/errors.js'
import {FACTS_COMMAND, parseFacts, parseOsRelease, probeFacts, UnsupportedPlatformError} from '../../src/platform/detect.js'
import type {ExecResult, Remote} from '../../src/ssh/remote.js'

// os-release files as shipped by each distribution (trimmed of URLs), then `uname -m`, `nproc`, init marker
const SEP = '--lnmp-deploy-facts--'
const recorded = {
  debian12: `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
${SEP}
x86_64
2
systemd
`,
  ubuntu2404: `PRETTY_NAME="Ubuntu 24.04.1 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
VERSION="24.04.1 LTS (Noble Numbat)"
VERSION_CODENAME=noble
ID=ubuntu
ID_LIKE=debian
UBUNTU_CODENAME=noble
LOGO=ubuntu-logo
${SEP}
aarch64
4
systemd
`,
  rocky9: `NAME="Rocky Linux"
VERSION="9.4 (Blue Onyx)"
ID="rocky"
ID_LIKE="rhel centos fedora"
VERSION_ID="9.4"
PLATFORM_ID="platform:el9"
PRETTY_NAME="Rocky Linux 9.4 (Blue Onyx)"
ANSI_COLOR="0;32"
${SEP}
x86_64
8
systemd
`,
  alma8: `NAME="AlmaLinux"
VERSION="8.10 (Cerulean Leopard)"
ID="almalinux"
ID_LIKE="rhel centos fedora"
VERSION_ID="8.10"
PLATFORM_ID="platform:el8"
PRETTY_NAME="AlmaLinux 8.10 (Cerulean Leopard)"
${SEP}
x86_64
1
systemd
`,
  centos7: `NAME="CentOS Linux"
VERSION="7 (Core)"
ID="centos"
ID_LIKE="rhel fedora"
VERSION_ID="7"
PRETTY_NAME="CentOS Linux 7 (Core)"
CPE_NAME="cpe:/o:centos:centos:7"
${SEP}
x86_64
2
other
`,
}

describe('parseFacts', () => {
  it('Debian 12', () => {
    expect(parseFacts('web01', recorded.debian12)).toEqual({
      osId: 'debian',
      osVersion: '12',
      osFamily: 'debian',
      packageManager: 'apt',
      arch: 'x86_64',
      cores: 2,
      initSystem: 'systemd',
    })
  })
  it('Ubuntu 24.04', () => {
    expect(parseFacts('web01', recorded.ubuntu2404)).toEqual({
      osId: 'ubuntu',
      osVersion: '24.04',
      osFamily: 'debian',
      packageManager: 'apt',
      arch: 'aarch64',
      cores: 4,
      initSystem: 'systemd',
    })
  })
  it('Rocky 9', () => {
    expect(parseFacts('db01', recorded.rocky9)).toEqual({
      osId: 'rocky',
      osVersion: '9.4',
      osFamily: 'rhel',
      packageManager: 'dnf',
      arch: 'x86_64',
      cores: 8,
      initSystem: 'systemd',
    })
  })
  it('AlmaLinux 8', () => {
    expect(parseFacts('db01', recorded.alma8)).toEqual({
      osId: 'almalinux',
      osVersion: '8.10',
      osFamily: 'rhel',
      packageManager: 'dnf',
      arch: 'x86_64',
      cores: 1,
      initSystem: 'systemd',
    })
  })
  it('CentOS 7 uses yum', () => {
    expect(parseFacts('lb01', recorded.centos7)).toEqual({
      osId: 'centos',
      osVersion: '7',
      osFamily: 'rhel',
      packageManager: 'yum',
      arch: 'x86_64',
      cores: 2,
      initSystem: 'other',
    })
  })

  it('refuses an unknown OS, naming the host and the os-release ID', () => {
    const alpine = `NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.20.0\nPRETTY_NAME="Alpine Linux v3.20"\n${SEP}\nx86_64\n2\nother\n`
    expect(() => parseFacts('web02', alpine)).toThrow(UnsupportedPlatformError)
    expect(() => parseFacts('web02', alpine)).toThrow(
      'web02: unsupported operating system Alpine Linux v3.20 (os-release ID=alpine, VERSION_ID=3.20.0)',
    )
    try {
      parseFacts('web02', alpine)
    } catch (error) {
      expect(error).toBeInstanceOf(DeployError)
      expect((error as DeployError).host).toBe('web02')
    }
  })
  it('refuses a release older than the package tables know', () => {
    const centos6 = `ID="centos"\nVERSION_ID="6"\n${SEP}\nx86_64\n1\nother\n`
    expect(() => parseFacts('db01', centos6)).toThrow('db01: unsupported operating system centos 6 (os-release ID=centos, VERSION_ID=6)')
  })
  it('refuses a host without os-release', () => {
    expect(() => parseFacts('db01', `${SEP}\nx86_64\n1\nother\n`)).toThrow('db01: no /etc/os-release')
  })
})

describe('parseOsRelease', () => {
  it('unquotes double- and single-quoted values and their escapes', () => {
    expect(parseOsRelease(`A="x \\"y\\""\nB='z w'\nC=plain\n# comment\n`)).toEqual({A: 'x "y"', B: 'z w', C: 'plain'})
  })
})

describe('probeFacts', () => {
  it('asks once and parses the answer', async () => {
    const commands: string[] = []
    const remote = {
      name: 'web01',
      async run(command: string): Promise<ExecResult> {
        commands.push(command)
        return {code: 0, stdout: recorded.debian12, stderr: ''}
      },
    } as unknown as Remote
    const facts = await probeFacts(remote)
    expect(commands).toEqual([FACTS_COMMAND])
    expect(FACTS_COMMAND).toBe(
      'cat /etc/os-release 2>/dev/null || cat /usr/lib/os-release 2>/dev/null; echo --lnmp-deploy-facts--; uname -m; nproc 2>/dev/null || echo 1; if test -d /run/systemd/system; then echo systemd; else echo other; fi',
    )
    expect(facts.osId).toBe('debian')
  })
})
