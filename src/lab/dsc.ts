/**
 * Reading a Debian source package's .dsc: the Checksums-Sha256 field lists every file of the package with
 * its sha256 and size. apt checked the .dsc against the signed Sources index; we check the tarball against it.
 */
export interface DscFile {
  sha256: string
  size: number
}

export function dscChecksums(dsc: string): Map<string, DscFile> {
  const files = new Map<string, DscFile>()
  let inField = false
  for (const line of dsc.split('\n')) {
    if (/^Checksums-Sha256:/i.test(line)) {
      inField = true
      continue
    }
    if (!inField) continue
    // continuation lines start with a space; anything else ends the field
    if (!line.startsWith(' ')) {
      if (line.trim() === '' || /^-----BEGIN PGP SIGNATURE/.test(line) || /^\S/.test(line)) inField = false
      continue
    }
    const [sha256, size, name] = line.trim().split(/\s+/)
    if (sha256 && size && name && /^[a-f0-9]{64}$/.test(sha256)) files.set(name, {sha256, size: Number(size)})
  }
  return files
}

/** The upstream tarball among a source package's files: `<pkg>_<version>.orig.tar.<gz|xz|bz2>`. */
export function origTarball(files: Iterable<string>): {file: string; upstreamVersion: string} | undefined {
  for (const file of files) {
    const m = /^[a-z0-9][a-z0-9.+-]*_([^_]+)\.orig\.tar\.(gz|xz|bz2)$/.exec(file)
    if (m?.[1]) return {file, upstreamVersion: m[1]}
  }
  return undefined
}
