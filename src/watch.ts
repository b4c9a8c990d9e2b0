import { GetDeploymentCommand, type CodeDeployClient, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import { abortable } from './aws-clients.js'
import { explainAwsError, isTransient } from './aws-errors.js'
import { backoff, type Clock } from './clock.js'
import {
  emptyOverview,
  failuresOf,
  FINAL_STATUSES,
  type DeploymentResult,
  type Overview
} from './deployment-state.js'
import { describeError } from './errors.js'
import type { ProgressPrinter } from './progress.js'
import { TargetTracker } from './targets.js'

export interface WatchOptions {
  clock: Clock
  /** Epoch ms after which the watch gives up (the deployment keeps running). */
  deadline: number
  signal?: AbortSignal
  printer: ProgressPrinter
  warn: (line: string) => void
  /** Poll interval: starts at min after a change, grows while nothing changes, up to max. */
  minPollMs?: number
  maxPollMs?: number
  /** Least time between two target refreshes while the deployment runs. */
  targetRefreshMs?: number
  random?: () => number
  /** Read the deployment once and return where it stands (`wait: false`). */
  once?: boolean
}

/**
 * Follows a deployment to its end (or the deadline, or a cancel), streaming progress. It never
 * reports an outcome it did not see: when CodeDeploy cannot be reached it keeps trying until the
 * deadline and then says so.
 */
export async function watchDeployment(cd: CodeDeployClient, deploymentId: string, group: string, opts: WatchOptions): Promise<DeploymentResult> {
  const { clock, signal } = opts
  const minPoll = opts.minPollMs ?? 1000
  const maxPoll = opts.maxPollMs ?? 4000
  const refreshEvery = opts.targetRefreshMs ?? 3000
  const tracker = new TargetTracker(cd, deploymentId)
  let info: DeploymentInfo | undefined
  let lastKey = ''
  let lastRefresh = -Infinity
  let interval = minPoll
  let misses = 0
  let lostContact: string | undefined

  const result = (extra: Partial<DeploymentResult>): DeploymentResult => buildResult(deploymentId, group, info, tracker, { lostContact, ...extra })

  for (;;) {
    if (signal?.aborted) return result({ cancelled: true })
    try {
      info = (await cd.send(new GetDeploymentCommand({ deploymentId }), abortable(signal))).deploymentInfo
      if (misses > 0) opts.warn(`Back in contact with CodeDeploy after ${misses} failed attempt(s).`)
      misses = 0
      lostContact = undefined
    } catch (error) {
      if (signal?.aborted) return result({ cancelled: true })
      if (!isTransient(error)) throw explainAwsError(error, `reading deployment ${deploymentId}`, 'codedeploy:GetDeployment', `deployment ${deploymentId}`)
      misses++
      lostContact = describeError(error)
      if (misses === 1 || misses % 10 === 0) opts.warn(`Cannot reach CodeDeploy (${lostContact}); still trying until the time-out.`)
      if (clock.now() >= opts.deadline) return result({ timedOut: true })
      await clock.sleep(Math.min(backoff(misses, minPoll, 15_000, opts.random) + minPoll, Math.max(0, opts.deadline - clock.now())), signal)
      continue
    }
    if (!info) throw new Error(`GetDeployment returned no deploymentInfo for ${deploymentId}`)
    const final = FINAL_STATUSES.has(info.status ?? '')
    const key = `${info.status}|${JSON.stringify(info.deploymentOverview ?? {})}`
    const changed = key !== lastKey
    lastKey = key
    if (final || opts.once || (changed && clock.now() - lastRefresh >= refreshEvery) || clock.now() - lastRefresh >= 10 * refreshEvery) {
      lastRefresh = clock.now()
      await refreshTargets(tracker, opts, final)
    }
    // After the instances, so the final status line comes last in the log.
    opts.printer.deployment(info)
    if (final) return result({ final: true })
    if (opts.once) return result({})
    if (clock.now() >= opts.deadline) return result({ timedOut: true })
    interval = changed ? minPoll : Math.min(maxPoll, Math.round(interval * 1.5))
    await clock.sleep(Math.min(interval, Math.max(0, opts.deadline - clock.now())), opts.signal)
  }
}

/** Prints what changed. A transient failure skips this round, except at the end, where it retries. */
async function refreshTargets(tracker: TargetTracker, opts: WatchOptions, final: boolean): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      opts.printer.instances(await tracker.refresh(opts.signal))
      return
    } catch (error) {
      if (opts.signal?.aborted) return
      if (!isTransient(error)) {
        opts.warn(`Could not read the deployment's instances: ${describeError(error)}`)
        return
      }
      if (!final || attempt >= 4) {
        if (final) opts.warn(`Could not read the final state of every instance: ${describeError(error)}`)
        return
      }
      await opts.clock.sleep(backoff(attempt, 500, 8000, opts.random) + 250, opts.signal)
    }
  }
}

function buildResult(deploymentId: string, group: string, info: DeploymentInfo | undefined, tracker: TargetTracker, extra: Partial<DeploymentResult>): DeploymentResult {
  const instances = tracker.instances
  const o = info?.deploymentOverview
  const overview: Overview = o
    ? { Pending: o.Pending ?? 0, InProgress: o.InProgress ?? 0, Succeeded: o.Succeeded ?? 0, Failed: o.Failed ?? 0, Skipped: o.Skipped ?? 0, Ready: o.Ready ?? 0 }
    : emptyOverview()
  return {
    deploymentId,
    group,
    status: info?.status ?? 'Unknown',
    final: false,
    timedOut: false,
    cancelled: false,
    errorCode: info?.errorInformation?.code,
    errorMessage: info?.errorInformation?.message,
    overview,
    instances,
    failures: failuresOf(instances),
    rollbackDeploymentId: info?.rollbackInfo?.rollbackDeploymentId,
    createTime: info?.createTime,
    completeTime: info?.completeTime,
    lostContact: undefined,
    ...extra
  }
}
