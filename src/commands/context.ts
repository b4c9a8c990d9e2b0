import type { Clock } from '../core/clock.js'
import type { AwsClients, Log, StageDeps } from '../core/deps.js'
import type { Settings } from '../inputs/settings.js'
import type { GroupOutcome, RunReport } from '../report/run-report.js'

/** What a command is given: the pipeline's context, as far as commands use it. */
export interface CommandContext {
  settings: Settings
  clients: AwsClients
  clock: Clock
  signal: AbortSignal
  log: Log & { deploymentCreated(group: GroupOutcome): void }
  tempDir: string | undefined
  report: RunReport
}

/** What every stage is given, for deploy and every command alike: the deadline is timeout-minutes from the start of the run. */
export function stageDeps(ctx: CommandContext): StageDeps {
  const deadline = ctx.report.startedAt + ctx.settings.timeoutMinutes * 60_000
  return { clients: ctx.clients, clock: ctx.clock, signal: ctx.signal, deadline, log: ctx.log }
}
