/** What lnmp-deploy needs to know about a host before planning anything on it. */
export type OsFamily = 'debian' | 'rhel'

export interface HostFacts {
  /** os-release ID: debian, ubuntu, centos, rocky, almalinux, rhel */
  osId: string
  /** os-release VERSION_ID: 12, 24.04, 9.4, 7 */
  osVersion: string
  osFamily: OsFamily
  packageManager: 'apt' | 'dnf' | 'yum'
  arch: string
  cores: number
  initSystem: 'systemd' | 'other'
}
