import {createHash} from 'node:crypto'

/**
 * A step's fingerprint: sha256 of its inputs as canonical JSON (object keys sorted at every depth), so the
 * same desired state always hashes the same whatever order a step built its object in.
 */
export function fingerprint(inputs: unknown): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex')
}

/** JSON with object keys sorted; undefined object members are dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return write(value, '$')
}

function write(value: unknown, path: string): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'number':
      // NaN and Infinity become null in JSON.stringify: two different inputs would share a hash
      if (!Number.isFinite(value)) throw new TypeError(`step inputs at ${path}: ${value} is not JSON`)
      return JSON.stringify(value)
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? 'null' : write(v, `${path}[${i}]`))).join(',')}]`
      }
      const proto = Object.getPrototypeOf(value) as unknown
      if (proto !== Object.prototype && proto !== null) {
        throw new TypeError(`step inputs at ${path}: only plain objects, arrays and primitives are hashed`)
      }
      const record = value as Record<string, unknown>
      const members = Object.keys(record)
        .filter((k) => record[k] !== undefined)
        .sort()
        .map((k) => `${JSON.stringify(k)}:${write(record[k], `${path}.${k}`)}`)
      return `{${members.join(',')}}`
    }
    default:
      throw new TypeError(`step inputs at ${path}: a ${typeof value} is not JSON`)
  }
}
