// Regenerates schema/lnmp-deploy.schema.json from src/config/schema.ts: `npx tsx scripts/gen-schema.ts`.
// test/unit/config-json-schema.test.ts fails when the committed file is stale.
import {writeFile} from 'node:fs/promises'
import {SCHEMA_FILE, configJsonSchemaText} from '../src/config/json-schema.js'

await writeFile(SCHEMA_FILE, configJsonSchemaText())
process.stdout.write(`wrote ${SCHEMA_FILE}\n`)
