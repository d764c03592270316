/**
 * The load balancer's rotation, as the engine sees it. Before a restart of a service that answers users
 * (`behindBalancer`), the host leaves the rotation; it rejoins once every step of this run on it is done and it
 * answers its own health request. A host's restarts are thus one stretch out of rotation, however many steps
 * restart something (a changed FPM listen address breaks the host between the pool's restart and the vhost's
 * reload: users never see that). The engine does not know what a balancer is; the service layer gives it one
 * (src/services/balancer-rotation.ts).
 */
export interface Rotation {
  /**
   * Takes the host out of rotation, waiting while another host is out (one at a time, so the others serve).
   * A no-op when it is out already in this run. Throws when no other host would be left serving.
   */
  leave(host: string, note: (line: string) => void): Promise<void>
  /** After the host's last step in this run: back into rotation once it answers. Never throws. */
  rejoin(host: string, note: (line: string) => void): Promise<{ok: true} | {ok: false; message: string; hint: string}>
}
