import {clusterSuite} from './cluster-suite.js'

// Debian 12 hosts, logging in as root: a cluster deployed with PHP 8.2 (end of life 2026-12-31) is upgraded
// live to the default PHP, and carries the rebuilding live changes
clusterSuite({release: 'bookworm', login: 'root', firstPhp: '8.2.32', upgradeTo: '8.4.24', rebuilds: true, caches: 1})
