import type {Readiness} from '../../engine/step.js'
import {httpGetCommand} from '../../platform/lb.js'

/**
 * When a reload of nginx is in force: `systemctl reload` returns once nginx has the signal, while the workers
 * of the old configuration still take requests for a moment. Ready means: no worker is still shutting down
 * (`[n]`: not this command's own line) and the host answers its site without a server error. A new vhost whose
 * backend moved (PHP-FPM on another port) answers 502 from an old worker, 200 from a new one.
 */
/** `serverName` absent: the request carries no Host header and reaches the default server. */
export function nginxReloadedReadiness(serverName?: string): Readiness {
  return {
    command: [
      'sleep 0.2',
      "for i in $(seq 100); do pgrep -f 'nginx: worker process is shutting dow[n]' >/dev/null || break; sleep 0.1; done",
      `${httpGetCommand({address: '127.0.0.1', ...(serverName ? {hostHeader: serverName} : {})})} | head -n 1 | grep -qE '^HTTP/1\\.[01] [234]'`,
    ].join('; '),
  }
}
