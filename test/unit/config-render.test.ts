import {describe, expect, it} from 'vitest'
import {parseConfig} from '../../src/config/load.js'
import {presetHosts} from '../../src/config/presets.js'
import {renderConfig} from '../../src/config/render.js'
import {configSchema} from '../../src/config/schema.js'

const full = configSchema.parse({
  version: 1,
  cluster: {name: 'shop'},
  ssh: {user: 'deploy', port: 2222, identityFile: '~/.ssh/id_ed25519', sudoPassword: '${prompt}'},
  hosts: [...presetHosts('tutorial'), {name: 'web03', address: 'web03.example.com', port: 22, user: 'admin', jump: 'lb01', roles: ['web']}],
  prefix: '/opt/app',
  php: {version: '8.3.1', features: ['fpm', 'mysqli', 'gd']},
  nginx: {version: '1.26.2', extraFlags: ['--with-http_v2_module']},
  artifacts: {nginx: {url: 'https://nginx.org/download/nginx-1.26.2.tar.gz', sha256: 'a'.repeat(64)}},
  app: {kind: 'phpmyadmin', serverName: 'pma.example.com'},
  database: {rootPassword: '${env:ROOT_PW}', appUser: 'shop', appPassword: '${file:~/.app-pw}'},
  memcached: {port: 11212, memoryMb: 128},
  session: {handler: 'memcached'},
})

describe('renderConfig', () => {
  it('round-trips: loading the rendered file gives the same config', () => {
    const text = renderConfig(full, {schemaRef: './schema.json'})
    expect(parseConfig(text, 'c.yml').config).toEqual(full)
  })

  it('round-trips the defaults of a minimal config', () => {
    const minimal = configSchema.parse({version: 1, hosts: presetHosts('lab')})
    expect(parseConfig(renderConfig(minimal, {schemaRef: 's.json'}), 'c.yml').config).toEqual(minimal)
  })

  it('starts with the yaml-language-server schema line', () => {
    const text = renderConfig(full, {schemaRef: './node_modules/lnmp-deploy/schema/lnmp-deploy.schema.json'})
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=./node_modules/lnmp-deploy/schema/lnmp-deploy.schema.json')
  })

  it('says what each section is for and writes host notes beside the host', () => {
    const text = renderConfig(full, {schemaRef: 's.json', hostNotes: new Map([['web01', 'debian 12, 4 cores']])})
    expect(text).toContain('# How lnmp-deploy logs in to every host')
    expect(text).toContain('\n# MariaDB on the db host. Passwords are references only')
    expect(text).toContain('  - name: web01 # debian 12, 4 cores\n')
    expect(text).toContain('    roles: [ db, cache ]\n')
  })

  it('writes secrets only as references', () => {
    const text = renderConfig(full, {schemaRef: 's.json'})
    expect(text).toContain('  rootPassword: ${env:ROOT_PW}\n')
    expect(text).toContain('  appPassword: ${file:~/.app-pw}\n')
    expect(text).toContain('  sudoPassword: ${prompt}\n')
  })
})
