import {readFile} from 'node:fs/promises'
import {describe, expect, it} from 'vitest'
import {caseInsensitivePattern, configJsonSchemaText, SCHEMA_FILE, schemaRefFor} from '../../src/config/json-schema.js'

describe('schema/lnmp-deploy.schema.json', () => {
  it('is what scripts/gen-schema.ts generates from the zod schema (run `npx tsx scripts/gen-schema.ts`)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(configJsonSchemaText())
  })

  it('describes what a person writes: defaulted keys are optional, unknown keys refused', () => {
    const schema = JSON.parse(configJsonSchemaText()) as {required: string[]; additionalProperties: boolean}
    expect(schema.required).toEqual(['version', 'hosts'])
    expect(schema.additionalProperties).toBe(false)
  })

  it('keeps case-insensitive host names case-insensitive for editors', () => {
    const text = configJsonSchemaText()
    const schema = JSON.parse(text) as {properties: {hosts: {items: {properties: {name: {pattern: string}}}}}}
    const pattern = new RegExp(schema.properties.hosts.items.properties.name.pattern)
    expect(pattern.test('Web01')).toBe(true)
    expect(pattern.test('web01; rm -rf /')).toBe(false)
  })
})

describe('caseInsensitivePattern', () => {
  it('widens lowercase ranges to both cases', () => {
    expect(caseInsensitivePattern('^[a-z0-9]([a-z0-9-]*)$|^[0-9a-f:.]+$')).toBe('^[a-zA-Z0-9]([a-zA-Z0-9-]*)$|^[0-9a-fA-F:.]+$')
  })
})

describe('schemaRefFor', () => {
  it('is relative below the config directory and absolute elsewhere', () => {
    expect(schemaRefFor('/p', '/p/node_modules/lnmp-deploy/schema/s.json')).toBe('./node_modules/lnmp-deploy/schema/s.json')
    expect(schemaRefFor('/tmp/x', '/opt/lnmp-deploy/schema/s.json')).toBe('/opt/lnmp-deploy/schema/s.json')
  })
})
