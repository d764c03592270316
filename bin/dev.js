#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (tsx is pinned to 4.23.14: 4.23.15 makes oclif load a stale dist/).
import {execute} from '@oclif/core'

await execute({development: true, dir: import.meta.url})
