import {Parser} from '@oclif/core'
import {describe, expect, it} from 'vitest'

import LabUp from '../../src/commands/lab/up.js'

/** `lab up`'s flags as oclif reads them (nothing is started: only the parse). */
async function flagsOf(argv: string[]): Promise<Record<string, unknown>> {
  const {flags} = await Parser.parse(argv, {flags: LabUp.flags, strict: true})
  return flags
}

describe('lab up flags', () => {
  it('leaves --web and --shared-ccache unset when not given, so the lab keeps what it was made with', async () => {
    const flags = await flagsOf([])
    expect(flags.web).toBeUndefined()
    expect(flags['shared-ccache']).toBeUndefined()
  })

  it('reads --web N and --shared-ccache / --no-shared-ccache', async () => {
    expect(await flagsOf(['--web', '3', '--shared-ccache'])).toMatchObject({web: '3', 'shared-ccache': true})
    expect(await flagsOf(['--web=23', '--no-shared-ccache'])).toMatchObject({web: '23', 'shared-ccache': false})
  })
})
