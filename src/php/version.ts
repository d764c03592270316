/** Compare dotted versions numerically: '8.2.32' vs '8.2.4'. Missing parts count as 0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number)
  const pb = b.split('.').map(Number)
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0)
    if (d !== 0) return Math.sign(d)
  }
  return 0
}

/** true when version >= min: `atLeast('7.4.0', '7.4')` */
export function atLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0
}

export function majorOf(version: string): number {
  return Number.parseInt(version, 10)
}
