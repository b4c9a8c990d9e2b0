import { ProgressPrinter } from '../../src/watch/progress-printer.js'
import type { Log } from '../../src/core/deps.js'
import { watchDeployment, type WatchOptions } from '../../src/watch/watch-deployment.js'
import { FakeClock } from './clock.js'
import { deploymentHandlers, FakeCodeDeploy, type Handler, type Snapshot } from './codedeploy.js'
import { fakeDeps } from './deps.js'

export const MINUTE = 60_000

/** What a watch printed, warned and annotated, in order, with the (virtual) time of each line. */
export class Recorder {
  readonly info: string[] = []
  readonly errors: Array<{ message: string; title: string; at: number }> = []
  readonly warnings: string[] = []
  readonly blocks: Array<{ title: string; lines: readonly string[] }> = []
  /** Every line as the log would show it: info, `::error title=..::..`, and group markers. */
  readonly log: string[] = []

  constructor(
    private readonly clock: { now(): number } = { now: () => 0 },
    withBlocks = false
  ) {
    this.printer = new ProgressPrinter({
      info: line => {
        this.info.push(line)
        this.log.push(line)
      },
      error: (message, title) => {
        this.errors.push({ message, title, at: this.clock.now() })
        this.log.push(`::error title=${title}::${message}`)
      },
      ...(withBlocks
        ? {
            block: (title: string, lines: readonly string[]) => {
              this.blocks.push({ title, lines })
              this.log.push(`::group::${title}`, ...lines, '::endgroup::')
            }
          }
        : {})
    })
  }

  readonly printer: ProgressPrinter

  /** The stage log the watch warns through (its progress goes through `printer`). */
  asLog(): Log {
    return {
      info: line => {
        this.info.push(line)
        this.log.push(line)
      },
      warning: line => this.warnings.push(line),
      error: (message, title) => this.errors.push({ message, title, at: this.clock.now() }),
      group: (_name, fn) => fn(),
      block: (title, lines) => this.blocks.push({ title, lines })
    }
  }
}

/** What a test may change for one watch: the deadline, the cancel signal, and the watch's options. */
export type WatchExtra = Partial<WatchOptions> & { deadline?: number; signal?: AbortSignal }

/** Runs the watch as the pipeline does, with fakes for every dependency. */
export function startWatch(
  cd: FakeCodeDeploy,
  clock: FakeClock,
  log: Recorder,
  deploymentId: string,
  extra: WatchExtra = {}
): ReturnType<typeof watchDeployment> {
  const { deadline, signal, ...options } = extra
  const deps = fakeDeps({
    codedeploy: cd.client,
    clock,
    log: log.asLog(),
    deadline: deadline ?? clock.now() + 30 * MINUTE,
    ...(signal ? { signal } : {})
  })
  return watchDeployment(deploymentId, 'production', deps, { printer: log.printer, random: () => 0.5, ...options })
}

/**
 * Handlers for several deployments at once (a deployment and its rollback), each following its
 * own timeline; requests go to the one their deploymentId names.
 */
export function deployments(
  clock: FakeClock,
  timelines: Record<string, (elapsedMs: number, call: number) => Snapshot>,
  options: { pageSize?: number } = {}
): Partial<Record<string, Handler>> {
  const each = Object.fromEntries(
    Object.entries(timelines).map(([id, at]) => [id, deploymentHandlers(clock, at, { deploymentId: id, ...options })])
  )
  const route =
    (command: string): Handler =>
    (input, call) => {
      const handlers = each[String(input['deploymentId'])]
      const handler = handlers?.[command]
      if (!handler)
        throw Object.assign(new Error(`no deployment ${String(input['deploymentId'])}`), {
          name: 'DeploymentDoesNotExistException',
          $metadata: { httpStatusCode: 400 }
        })
      return handler(input, call)
    }
  return {
    GetDeployment: route('GetDeployment'),
    ListDeploymentTargets: route('ListDeploymentTargets'),
    BatchGetDeploymentTargets: route('BatchGetDeploymentTargets')
  }
}

export interface WatchSetup {
  clock: FakeClock
  cd: FakeCodeDeploy
  log: Recorder
  start: number
  watch: (extra?: WatchExtra) => ReturnType<typeof watchDeployment>
}

/** A watch of `deploymentId` against these handlers, with a 30 min deadline and no jitter. */
export function watchSetup(
  make: (clock: FakeClock) => Partial<Record<string, Handler>>,
  options: { deploymentId?: string; blocks?: boolean } = {}
): WatchSetup {
  const clock = new FakeClock()
  const cd = new FakeCodeDeploy(make(clock), clock)
  const log = new Recorder(clock, options.blocks ?? false)
  const start = clock.now()
  return {
    clock,
    cd,
    log,
    start,
    watch: extra => startWatch(cd, clock, log, options.deploymentId ?? 'd-TESTDEPLOY', { deadline: start + 30 * MINUTE, ...extra })
  }
}
