import {DEFAULT_PHP_VERSION} from '../../src/artifacts.js'
import {clusterSuite} from './cluster-suite.js'

// Debian 13 hosts as today's cloud images come (root's SSH login off, the deploy user with sudo), and sessions
// on two stores (db01 and cache01), failover proven; web03 joins from the package cache and is retired again
clusterSuite({release: 'trixie', login: 'deploy', firstPhp: DEFAULT_PHP_VERSION, rebuilds: false, caches: 2, webs: 3})
