import { GetDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import { backoff } from '../core/clock.js'
import type { StageDeps } from '../core/deps.js'
import type { ComputePlatform } from '../core/domain.js'
import { describeError } from '../core/errors.js'
import { untilDeadline } from '../aws/clients.js'
import { explainAwsError, isTransient } from '../aws/service-errors.js'
import {
  blueGreenWaits,
  deadlineExtensionMinutes,
  inTerminationWait,
  readyWaitOf,
  terminationWaitOf,
  utcTime,
  waitsForManualReroute,
  type BlueGreenWaits
} from './blue-green-waits.js'
import { CallBudget } from './call-budget.js'
import { emptyOverview, failuresOf, FINAL_STATUSES, READY, type DeploymentResult, type Overview } from './deployment-result.js'
import { endNotes, terminationNote } from './end-notes.js'
import type { ProgressPrinter } from './progress-printer.js'
import { awaitRollbackInfo } from './rollback-link.js'
import { SMALL_FLEET, TargetTracker } from './target-tracker.js'

/** The watch reads CodeDeploy until `deadline` (then gives up; the deployment keeps running). */
export type WatchDeps = Pick<StageDeps, 'clients' | 'clock' | 'deadline' | 'signal' | 'log'>

export interface WatchOptions {
  printer: ProgressPrinter
  /** GetDeployment interval: min after a status change or a new failure, growing up to max. */
  minPollMs?: number
  maxPollMs?: number
  /** Calls allowed in any 60 s, GetDeployment included (the deployment and its rollback share them). */
  callsPerMinute?: number
  random?: () => number
  /** Read the deployment once and return where it stands (`wait: false`). */
  once?: boolean
  /** Follow an automatic rollback to its end (default true). */
  followRollback?: boolean
  /** Blue/green: wait through the original environment's termination wait (default: end when only it remains). */
  waitForTermination?: boolean
}

/** Calls kept free in every 60 s for the polls that are always made: one per maxPoll (15 at 4 s), and a few more. */
const POLL_RESERVE = 20
const NOT_STARTED = new Set(['Created', 'Queued'])
const ROLLBACK_AIM: Record<ComputePlatform, string> = {
  Server: 'restore the last successful revision',
  ECS: 'route production traffic back to the original task set',
  Lambda: 'point the alias back at the original version'
}

/**
 * Follows a deployment to its end (or the deadline, or a cancel), streaming progress, then
 * follows the automatic rollback CodeDeploy started for it, if any. It never reports an outcome
 * it did not see: when CodeDeploy cannot be reached it keeps trying until the deadline and says so.
 */
export async function watchDeployment(deploymentId: string, group: string, deps: WatchDeps, opts: WatchOptions): Promise<DeploymentResult> {
  const budget = new CallBudget(deps.clock, opts.callsPerMinute ?? 60, POLL_RESERVE)
  const result = await follow(deploymentId, group, deps, opts, budget)
  for (const line of endNotes(result)) deps.log.warning(line)
  if (result.terminationWait && !result.final) deps.log.info(terminationNote(result))
  const rollbackId = result.rollbackDeploymentId
  if (!result.final || !rollbackId || opts.once || opts.followRollback === false || deps.signal.aborted) return result
  opts.printer.note(
    `CodeDeploy started rollback deployment ${rollbackId} to ${ROLLBACK_AIM[result.computePlatform ?? 'Server']}; following it to its end.`
  )
  result.rollback = await follow(rollbackId, group, deps, { ...opts, printer: opts.printer.child(`[rollback] `) }, budget)
  return result
}

async function follow(
  deploymentId: string,
  group: string,
  deps: WatchDeps,
  opts: WatchOptions,
  budget: CallBudget
): Promise<DeploymentResult> {
  const { clock, signal } = deps
  // Grows once, by the blue/green waits the step will sit through (read with the first answer).
  let deadline = deps.deadline
  let waits: BlueGreenWaits | undefined
  let waitsRead = false
  let terminationSeen = false
  const cd = deps.clients.codedeploy
  const minPoll = opts.minPollMs ?? 2000
  const maxPoll = opts.maxPollMs ?? 4000
  // A poll sooner than maxPoll after the last one is optional: it needs room in the budget.
  const spaced = (ms: number): number => (ms < maxPoll && budget.available() < 1 ? maxPoll : ms)
  const tracker = new TargetTracker(cd, deploymentId)
  let info: DeploymentInfo | undefined
  let interval = minPoll
  let misses = 0
  let lostContact: string | undefined
  let lastStatus = ''
  let lastFailed = 0
  let lastCounts = ''

  const result = (extra: Partial<DeploymentResult>): DeploymentResult =>
    buildResult(deploymentId, group, info, tracker, { lostContact, ...extra })

  for (;;) {
    if (signal.aborted) return result({ cancelled: true })
    await budget.take(signal, true)
    const polledAt = clock.now()
    // Ends by the deadline even when the service never answers (a half-open connection).
    const call = untilDeadline(deps)
    try {
      info = (await cd.send(new GetDeploymentCommand({ deploymentId }), call)).deploymentInfo
      if (misses > 0) deps.log.warning(`Back in contact with CodeDeploy after ${misses} failed attempt(s).`)
      misses = 0
      lostContact = undefined
    } catch (error) {
      if (signal.aborted) return result({ cancelled: true })
      if (call.abortSignal.aborted) {
        lostContact = `no answer from CodeDeploy by the time-out (${describeError(error)})`
        return result({ timedOut: true })
      }
      if (!isTransient(error))
        throw explainAwsError(error, `reading deployment ${deploymentId}`, 'codedeploy:GetDeployment', `deployment ${deploymentId}`)
      misses++
      lostContact = describeError(error)
      if (misses === 1 || misses % 10 === 0) deps.log.warning(`Cannot reach CodeDeploy (${lostContact}); still trying until the time-out.`)
      if (clock.now() >= deadline) return result({ timedOut: true })
      await clock.sleep(Math.min(spaced(backoff(misses, 1000, 15_000, opts.random) + 1000), Math.max(0, deadline - clock.now())), signal)
      continue
    }
    if (!info) throw new Error(`GetDeployment returned no deploymentInfo for ${deploymentId}`)
    if (!waitsRead) {
      waitsRead = true
      waits = await blueGreenWaits(info, deps)
      const extra = opts.once ? 0 : deadlineExtensionMinutes(waits, opts.waitForTermination ?? false)
      if (extra > 0) {
        deadline += extra * 60_000
        deps.log.info(`The time-out is extended by ${extra} minute(s) for the blue/green wait(s) this step waits through.`)
      }
    }
    const status = info.status ?? 'Unknown'
    const final = FINAL_STATUSES.has(status)
    if (final) info = await awaitRollbackInfo(info, deps, budget)
    const overview = overviewOf(info)
    const counts = JSON.stringify(overview)
    if (!NOT_STARTED.has(status) && (final || counts !== lastCounts || tracker.wants(overview))) {
      await refreshTargets(tracker, budget, overview, deps, opts, final)
    }
    lastCounts = counts
    // After the instances, so the final status line comes last in the log.
    opts.printer.deployment(info)
    if (final) return result({ final: true })
    if (status === READY && waitsForManualReroute(waits)) return result({ readyWait: readyWaitOf(waits, tracker.instances, clock.now()) })
    if (inTerminationWait(info, overview, tracker.instances)) {
      const wait = terminationWaitOf(waits, tracker.instances, clock.now())
      if (!opts.waitForTermination) return result({ terminationWait: wait })
      if (!terminationSeen) {
        terminationSeen = true
        const until = wait.terminatesAt ? ` (until ${utcTime(wait.terminatesAt)})` : ''
        opts.printer.note(
          `Traffic has moved; waiting through the original environment's termination wait${until}, as wait-for-termination asks.`
        )
      }
    }
    // Ready with an automatic reroute is waited through, like any other stage.
    if (opts.once) return result({})
    if (clock.now() >= deadline) return result({ timedOut: true })
    // A new stage or a new failure is worth a quick look; otherwise ease off, up to maxPoll, so
    // the end is still seen within maxPoll plus one request.
    const hurry = status !== lastStatus || overview.Failed > lastFailed
    interval = spaced(hurry ? minPoll : Math.min(maxPoll, Math.round(interval * 1.5)))
    lastStatus = status
    lastFailed = overview.Failed
    const wait = Math.max(0, interval - (clock.now() - polledAt))
    await clock.sleep(Math.min(wait, Math.max(0, deadline - clock.now())), signal)
  }
}

/** Prints what changed. A transient failure skips this round, except at the end, where it retries. */
async function refreshTargets(
  tracker: TargetTracker,
  budget: CallBudget,
  overview: Overview,
  deps: WatchDeps,
  opts: WatchOptions,
  final: boolean
): Promise<void> {
  const compact = total(overview) > SMALL_FLEET
  for (let attempt = 0; ; attempt++) {
    try {
      // Reads give up at the deadline, and so does a wait for room in the budget.
      const bounded = untilDeadline(deps).abortSignal
      const beforeCall = (): Promise<void> => budget.take(bounded, final)
      const changed = await tracker.refresh(overview, { final, allowance: budget.available(), beforeCall, signal: bounded })
      opts.printer.instances(changed, { compact })
      return
    } catch (error) {
      if (deps.signal.aborted) return
      if (!isTransient(error)) {
        deps.log.warning(`Could not read the deployment's instances: ${describeError(error)}`)
        return
      }
      if (!final || attempt >= 4) {
        if (final) deps.log.warning(`Could not read the final state of every instance: ${describeError(error)}`)
        return
      }
      await deps.clock.sleep(backoff(attempt, 500, 8000, opts.random) + 250, deps.signal)
    }
  }
}

function overviewOf(info: DeploymentInfo | undefined): Overview {
  const o = info?.deploymentOverview
  return o
    ? {
        Pending: o.Pending ?? 0,
        InProgress: o.InProgress ?? 0,
        Succeeded: o.Succeeded ?? 0,
        Failed: o.Failed ?? 0,
        Skipped: o.Skipped ?? 0,
        Ready: o.Ready ?? 0
      }
    : emptyOverview()
}

function total(o: Overview): number {
  return o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
}

function platformOf(info: DeploymentInfo | undefined): ComputePlatform | undefined {
  const p = info?.computePlatform
  return p === 'Server' || p === 'ECS' || p === 'Lambda' ? p : undefined
}

function buildResult(
  deploymentId: string,
  group: string,
  info: DeploymentInfo | undefined,
  tracker: TargetTracker,
  extra: Partial<DeploymentResult>
): DeploymentResult {
  const instances = tracker.instances
  return {
    deploymentId,
    group,
    computePlatform: platformOf(info),
    status: info?.status ?? 'Unknown',
    final: false,
    timedOut: false,
    cancelled: false,
    errorCode: info?.errorInformation?.code,
    errorMessage: info?.errorInformation?.message,
    overview: overviewOf(info),
    instances,
    failures: failuresOf(instances),
    rollbackDeploymentId: info?.rollbackInfo?.rollbackDeploymentId,
    rollbackMessage: info?.rollbackInfo?.rollbackMessage,
    rollback: undefined,
    deploymentConfigName: info?.deploymentConfigName,
    createTime: info?.createTime,
    completeTime: info?.completeTime,
    lostContact: undefined,
    ...extra
  }
}
