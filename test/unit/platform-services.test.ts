import {describe, expect, it} from 'vitest'
import {ConfigError} from '../../src/errors.js'
import {chooseFirewall, firewalldCommands, renderNftables} from '../../src/platform/firewall.js'
import {memcachedConfigPath, renderMemcachedConfig} from '../../src/platform/memcached.js'
import {serviceName, systemctl} from '../../src/platform/services.js'
import {FACTS} from './steps-support-fixtures.js'

describe('services', () => {
  it('names units per family', () => {
    expect(serviceName('mariadb', FACTS.debian12)).toBe('mariadb')
    expect(serviceName('mariadb', FACTS.centos7)).toBe('mariadb')
    expect(serviceName('memcached', FACTS.rocky9)).toBe('memcached')
    expect(serviceName('nginx', FACTS.ubuntu2404)).toBe('nginx')
  })
  it('builds systemctl commands', () => {
    expect(systemctl('enable-now', 'memcached')).toBe('systemctl enable --now memcached')
    expect(systemctl('restart', 'php-fpm')).toBe('systemctl restart php-fpm')
    expect(systemctl('reload', 'nginx')).toBe('systemctl reload nginx')
    expect(systemctl('is-active', 'mariadb')).toBe('systemctl is-active --quiet mariadb')
    expect(systemctl('daemon-reload')).toBe('systemctl daemon-reload')
    expect(() => systemctl('restart')).toThrow('systemctl restart needs a unit')
  })
})

describe('memcached config', () => {
  const settings = {listen: '172.16.1.51', port: 11211, memoryMb: 64}
  it('Debian: /etc/memcached.conf option lines', () => {
    expect(memcachedConfigPath(FACTS.debian12)).toBe('/etc/memcached.conf')
    const text = renderMemcachedConfig(settings, FACTS.debian12)
    const options = text.split('\n').filter((l) => l.startsWith('-'))
    expect(options).toEqual(['-m 64', '-p 11211', '-u memcache', '-l 172.16.1.51', '-U 0', '-P /var/run/memcached/memcached.pid'])
    expect(text).toContain('\nlogfile /var/log/memcached.log\n')
    expect(renderMemcachedConfig(settings, FACTS.ubuntu2404)).toBe(text)
  })
  it('RHEL: /etc/sysconfig/memcached with OPTIONS', () => {
    expect(memcachedConfigPath(FACTS.rocky9)).toBe('/etc/sysconfig/memcached')
    const lines = renderMemcachedConfig({...settings, memoryMb: 128}, FACTS.centos7)
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
    expect(lines).toEqual(['PORT="11211"', 'USER="memcached"', 'MAXCONN="1024"', 'CACHESIZE="128"', 'OPTIONS="-l 172.16.1.51 -U 0"'])
  })
})

describe('firewall', () => {
  it('nftables on Debian/Ubuntu; firewalld on RHEL when active; refuses CentOS 7 without it', () => {
    expect(chooseFirewall('db01', FACTS.debian12, false)).toBe('nftables')
    expect(chooseFirewall('db01', FACTS.ubuntu2404, true)).toBe('nftables')
    expect(chooseFirewall('db01', FACTS.rocky9, true)).toBe('firewalld')
    expect(chooseFirewall('db01', FACTS.rocky9, false)).toBe('nftables')
    expect(chooseFirewall('db01', FACTS.centos7, true)).toBe('firewalld')
    expect(() => chooseFirewall('db01', FACTS.centos7, false)).toThrow('db01: no firewall to restrict memcached and MariaDB')
  })

  it('renders the inet lnmp_deploy table: web hosts in, others reset on 11211/3306 only', () => {
    const text = renderNftables({sources: ['172.16.1.7', '172.16.1.8', 'fd00::8'], memcachedPort: 11211, mysqlPort: 3306})
    const body = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
    expect(body).toEqual([
      'table inet lnmp_deploy',
      'delete table inet lnmp_deploy',
      'table inet lnmp_deploy {',
      '\tset web_v4 {',
      '\t\ttype ipv4_addr',
      '\t\telements = { 172.16.1.7, 172.16.1.8 }',
      '\t}',
      '\tset web_v6 {',
      '\t\ttype ipv6_addr',
      '\t\telements = { fd00::8 }',
      '\t}',
      '\tchain input {',
      '\t\ttype filter hook input priority filter; policy accept;',
      '\t\tiifname "lo" accept',
      '\t\tip saddr @web_v4 tcp dport { 11211, 3306 } accept',
      '\t\tip6 saddr @web_v6 tcp dport { 11211, 3306 } accept',
      '\t\ttcp dport { 11211, 3306 } reject with tcp reset',
      '\t\tudp dport 11211 drop',
      '\t}',
      '}',
    ])
    // SSH is never mentioned, so never filtered
    expect(body.join('\n')).not.toMatch(/\b22\b|ssh/i)
  })

  it('refuses names and empty source lists', () => {
    expect(() => renderNftables({sources: ['web01.lan'], memcachedPort: 11211, mysqlPort: 3306})).toThrow(ConfigError)
    expect(() => renderNftables({sources: ['web01.lan'], memcachedPort: 11211, mysqlPort: 3306})).toThrow(
      'firewall rules need IP addresses, got web01.lan',
    )
    expect(() => renderNftables({sources: [], memcachedPort: 11211, mysqlPort: 3306})).toThrow('at least one web host')
  })

  it('firewalld rich rules per address and port, then reload', () => {
    expect(firewalldCommands({sources: ['172.16.1.7'], memcachedPort: 11211, mysqlPort: 3306})).toEqual([
      `firewall-cmd --permanent '--add-rich-rule=rule family="ipv4" source address="172.16.1.7" port port="11211" protocol="tcp" accept'`,
      `firewall-cmd --permanent '--add-rich-rule=rule family="ipv4" source address="172.16.1.7" port port="3306" protocol="tcp" accept'`,
      'firewall-cmd --reload',
    ])
  })
})
