import {createHash} from 'node:crypto'

/** The hex SHA-256 of a file's content, as `sha256sum` prints it on the host. */
export function sha256Of(content: string | Buffer): string {
  return createHash('sha256').update(content).digest('hex')
}
