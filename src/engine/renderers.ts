import {Listr, ListrLogger, ProcessOutput, type ListrTaskWrapper} from 'listr2'

import {BATCH_MARK} from '../platform/batch-probe.js'
import type {EngineEvent, EventSink, HostOutline, StepResult} from './events.js'
import {briefOf} from './problems.js'

/** A sink that also tells when its rendering is finished (listr2 draws asynchronously). */
export interface RenderSink {
  sink: EventSink
  /** resolves once the last line is drawn; call it after runSteps returned */
  done(): Promise<void>
  /** the run is stopping on a signal: end every step not yet ended as skipped for `reason`, and finish drawing */
  interrupt?(reason: string): Promise<void>
}

/** `--json`: every event as one JSON line on stdout, and nothing else there. */
export function jsonLinesSink(write: (line: string) => void = (line) => void process.stdout.write(line)): RenderSink {
  return {
    sink: (event) => write(`${JSON.stringify(event)}\n`),
    done: async () => {},
  }
}

export interface ListrSinkOptions {
  /** default: the 'default' renderer on a terminal, 'simple' (one line per event) otherwise */
  renderer?: 'default' | 'simple'
  /** where to draw; process.stdout unless a test says otherwise */
  stdout?: NodeJS.WriteStream
  stderr?: NodeJS.WriteStream
}

type Deferred = {promise: Promise<StepResult>; resolve: (r: StepResult) => void}

function deferred(): Deferred {
  let resolve!: (r: StepResult) => void
  const promise = new Promise<StepResult>((r) => (resolve = r))
  return {promise, resolve}
}

/** how often the plain renderer shows a running step's latest output line */
export const PLAIN_OUTPUT_EVERY_MS = 20_000

/** The last line worth showing a person: the framing lines of batched probes and checks are not. */
export function lastShowableLine(text: string): string | undefined {
  return text
    .trimEnd()
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith(BATCH_MARK) && !/^@rc=\d+$/.test(l))
    .at(-1)
}

/**
 * listr2 progress with one line per host and step. The runner does the work; the listr2 tasks only wait
 * for the runner's events and show what they say, so the renderer can never change what runs.
 */
export function listrSink(options: ListrSinkOptions = {}): RenderSink {
  const stdout = options.stdout ?? process.stdout
  const renderer = options.renderer ?? (stdout.isTTY ? 'default' : 'simple')
  const ends = new Map<string, Deferred>()
  const tasks = new Map<string, ListrTaskWrapper<unknown, never, never>>()
  const key = (host: string, step: string): string => `${host}\u0000${step}`
  const lastShown = new Map<string, number>()
  const outline = new Map<string, {host: string; step: string; title: string}>()
  // problem id -> the step that showed it in full; a later step with the same cause says it in short
  const said = new Map<string, {host: string; step: string}>()
  let running: Promise<unknown> = Promise.resolve()

  const start = (hosts: HostOutline[]): void => {
    for (const h of hosts) {
      for (const s of h.steps) {
        ends.set(key(h.host, s.id), deferred())
        outline.set(key(h.host, s.id), {host: h.host, step: s.id, title: s.title})
      }
    }
    const logger = new ListrLogger({processOutput: new ProcessOutput(stdout, options.stderr ?? process.stderr)})
    const list = new Listr(
      hosts.map((h) => ({
        title: h.host,
        task: (_: unknown, hostTask: ListrTaskWrapper<unknown, never, never>) =>
          hostTask.newListr(
            h.steps.map((s) => ({
              // the simple renderer prints flat lines: each must say its host
              title: renderer === 'simple' ? `${h.host}: ${s.title}` : s.title,
              task: async (__: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
                tasks.set(key(h.host, s.id), task)
                const result = await (ends.get(key(h.host, s.id)) as Deferred).promise
                show(task, result, renderer === 'simple' ? `${h.host}: ` : '', said)
              },
            })),
            {concurrent: false, exitOnError: false},
          ),
      })),
      {
        concurrent: true,
        exitOnError: false,
        renderer,
        fallbackRenderer: 'simple',
        rendererOptions: {logger, collapseSubtasks: false, collapseErrors: false},
        fallbackRendererOptions: {logger},
        // listr2's own SIGINT handler exits at once (127): the run's handler releases the host locks first
        // (held-locks.ts) and ends this display through interrupt()
        registerSignalListeners: false,
      } as never,
    )
    // failures are shown by the tasks themselves and reported by the summary; run() must not reject
    running = list.run().catch(() => undefined)
  }

  const sink = (event: EngineEvent): void => {
    switch (event.type) {
      case 'run-start':
        start(event.hosts)
        break
      case 'step-output': {
        const task = tasks.get(key(event.host, event.step))
        const line = lastShowableLine(event.text)
        if (!task || !line) break
        if (renderer === 'simple') {
          // a plain log gets a line now and then during a long step (a compile), not every line of it:
          // the whole output is in the step's log file
          const now = Date.now()
          const last = lastShown.get(key(event.host, event.step)) ?? 0
          if (now - last < PLAIN_OUTPUT_EVERY_MS) break
          lastShown.set(key(event.host, event.step), now)
        }
        task.output = line
        break
      }
      case 'step-end':
        ends.get(key(event.host, event.step))?.resolve(event)
        break
      default:
        break
    }
  }

  const interrupt = async (reason: string): Promise<void> => {
    // a step already ended keeps its result: a deferred resolves once
    for (const [k, step] of outline) ends.get(k)?.resolve({...step, status: 'skipped', durationMs: 0, reason, actions: []})
    await running
  }

  return {sink, done: () => running.then(() => undefined), interrupt}
}

function show(
  task: ListrTaskWrapper<unknown, never, never>,
  result: StepResult,
  prefix: string,
  said: Map<string, {host: string; step: string}>,
): void {
  const suffix = result.reason ? `: ${result.reason}` : ''
  switch (result.status) {
    case 'failed': {
      const e = result.error
      const first = e?.problem ? said.get(e.problem) : undefined
      if (e && first) throw new Error(`same as ${first.host} ${first.step}: ${briefOf(e.message)}`)
      if (e?.problem) said.set(e.problem, {host: result.host, step: result.step})
      const lines = [
        e?.message ?? 'failed',
        e?.outputTail ? `--- last output ---\n${e.outputTail}` : '',
        e?.logPath ? `log: ${e.logPath}` : '',
      ]
      throw new Error(lines.filter(Boolean).join('\n'))
    }
    case 'skipped':
    case 'unknown':
      task.skip(`${result.status}${suffix}`)
      return
    case 'will run':
      task.title = `${prefix}${result.title} (will run)`
      task.output = result.actions.map((a) => a.description).join('\n')
      return
    default:
      task.title = `${prefix}${result.title} (${result.status}${result.status === 'up to date' ? suffix : ''})`
  }
}
