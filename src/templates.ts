import {existsSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export type TemplateVars = Readonly<Record<string, string | number>>

const PLACEHOLDER = /\{\{([A-Za-z][A-Za-z0-9_]*)\}\}/g

let cachedRoot: string | undefined

/**
 * templates/ of the package. Found by walking up from this module, so it is the same directory whether
 * this runs from src/ (tsx, vitest) or from dist/ (the built CLI, an installed package).
 */
export function templatePath(relativePath = ''): string {
  if (cachedRoot === undefined) {
    let dir = dirname(fileURLToPath(import.meta.url))
    for (;;) {
      if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'templates'))) break
      const parent = dirname(dir)
      if (parent === dir) throw new Error(`templates/ not found above ${fileURLToPath(import.meta.url)}`)
      dir = parent
    }
    cachedRoot = join(dir, 'templates')
  }
  const full = resolve(cachedRoot, relativePath)
  if (full !== cachedRoot && !full.startsWith(`${cachedRoot}/`)) throw new Error(`template path escapes templates/: ${relativePath}`)
  return full
}

/** Replace `{{name}}` placeholders. Strict both ways, so a renamed variable cannot silently render a hole. */
export function renderString(text: string, vars: TemplateVars, what = 'template'): string {
  const used = new Set<string>()
  const missing = new Set<string>()
  const out = text.replaceAll(PLACEHOLDER, (_m, name: string) => {
    used.add(name)
    const value = vars[name]
    if (value === undefined) {
      missing.add(name)
      return ''
    }
    return String(value)
  })
  const unused = Object.keys(vars).filter((k) => !used.has(k))
  const problems = [
    ...(missing.size > 0 ? [`missing ${[...missing].join(', ')}`] : []),
    ...(unused.length > 0 ? [`unused ${unused.join(', ')}`] : []),
  ]
  if (problems.length > 0) throw new Error(`${what}: ${problems.join('; ')}`)
  return out
}

export function renderTemplate(relativePath: string, vars: TemplateVars = {}): string {
  return renderString(readFileSync(templatePath(relativePath), 'utf8'), vars, `template ${relativePath}`)
}
