/** Where lnmp-deploy keeps its own state on each host. The SSH layer's jobs live beside it. */
export const STATE_DIR = '/var/lib/lnmp-deploy'
export const JOURNAL_PATH = `${STATE_DIR}/state.json`
export const LOCK_PATH = `${STATE_DIR}/lock`

/**
 * The journal and lock paths under a state folder. Always STATE_DIR in real runs; the integration tests
 * give each test its own folder so runs on one machine cannot see each other's locks.
 */
export function statePaths(stateDir: string = STATE_DIR): {dir: string; journal: string; lock: string} {
  return {dir: stateDir, journal: `${stateDir}/state.json`, lock: `${stateDir}/lock`}
}
