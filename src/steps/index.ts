import type {AnyStep} from '../engine/step.js'
import {app} from './app.js'
import {buildDeps} from './build-deps.js'
import {dbFirewall} from './db-firewall.js'
import {lbUpstream} from './lb-upstream.js'
import {mariadb} from './mariadb.js'
import {memcached} from './memcached.js'
import {nginxSource} from './nginx-source.js'
import {peclMemcache} from './pecl-memcache.js'
import {phpFpm} from './php-fpm.js'
import {phpSession} from './php-session.js'
import {phpSource} from './php-source.js'
import {phpSwitch} from './php-switch.js'
import {wwwUser} from './www-user.js'

/** Every milestone, in the procedure's order; the engine orders them by `after` and filters by role. */
export const STEPS: readonly AnyStep[] = [
  wwwUser,
  buildDeps,
  nginxSource,
  phpSource,
  phpFpm,
  memcached,
  mariadb,
  dbFirewall,
  peclMemcache,
  phpSession,
  phpSwitch,
  app,
  lbUpstream,
]

export function stepIds(): string[] {
  return STEPS.map((s) => s.id)
}
