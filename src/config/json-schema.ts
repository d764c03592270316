import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {z} from 'zod'
import {configSchema} from './schema.js'

/** Where the package keeps the generated schema (src/config/ and dist/config/ are both two levels down). */
export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/lnmp-deploy.schema.json', import.meta.url))

/** The JSON Schema editors use for lnmp-deploy.yml, from the same zod definition the loader validates with. */
export function configJsonSchema(): Record<string, unknown> {
  // io 'input': describe what a person may write (defaults make keys optional), not the parsed result
  const schema = z.toJSONSchema(configSchema, {
    io: 'input',
    override(ctx) {
      // JSON Schema patterns carry no flags: spell out the case-insensitivity of /.../i regexes, or editors
      // would flag host names such as Web01 that the loader accepts
      const checks = (ctx.zodSchema._zod.def as {checks?: Array<{_zod: {def: {pattern?: unknown}}}>}).checks ?? []
      const insensitive = checks.some((c) => c._zod.def.pattern instanceof RegExp && c._zod.def.pattern.flags.includes('i'))
      if (insensitive && typeof ctx.jsonSchema.pattern === 'string') {
        ctx.jsonSchema.pattern = caseInsensitivePattern(ctx.jsonSchema.pattern)
      }
    },
  })
  return {
    ...schema,
    title: 'lnmp-deploy.yml',
    description: 'Cluster config for lnmp-deploy: hosts, SSH, versions, app, database, memcached, sessions.',
  }
}

/** `[a-z0-9]` -> `[a-zA-Z0-9]`: the lowercase ranges our patterns use, widened to both cases. */
export function caseInsensitivePattern(pattern: string): string {
  return pattern.replaceAll('a-z', 'a-zA-Z').replaceAll('a-f', 'a-fA-F')
}

/** The file's exact text, so the committed copy can be compared byte for byte. */
export function configJsonSchemaText(): string {
  return `${JSON.stringify(configJsonSchema(), null, 2)}\n`
}

/**
 * The `$schema=` value for a config written in configDir: relative when the schema sits below it (a project
 * with lnmp-deploy in node_modules), else absolute, which stays right wherever the directory is viewed from.
 */
export function schemaRefFor(configDir: string, schemaFile: string = SCHEMA_FILE): string {
  const relative = path.relative(configDir, schemaFile)
  if (relative.startsWith('..') || path.isAbsolute(relative)) return schemaFile
  return `./${relative}`
}
