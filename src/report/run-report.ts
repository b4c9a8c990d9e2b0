import type { ComputePlatform } from '../core/domain.js'
import type { CheckedAppSpec } from '../appspec/ecs-lambda/resources.js'
import type { Bundle } from '../bundle/write-bundle.js'
import { READY, type DeploymentResult } from '../watch/deployment-result.js'
import { describeError } from '../core/errors.js'
import type { Settings } from '../inputs/settings.js'
import { replacementName, targetNoun } from '../watch/traffic.js'
import type { UploadedRevision } from '../upload/upload-bundle.js'

/** One deployment group's part of the run. */
export interface GroupOutcome {
  group: string
  deploymentId: string | undefined
  url: string | undefined
  result: DeploymentResult | undefined
  /** StopDeployment was called for it because the workflow was cancelled. */
  stopRequested: boolean
}

/** ECS and Lambda: the AppSpec deployed as content, as checked. */
export interface DeployedAppSpec {
  /** As given in the `appspec` input. */
  path: string
  /** The exact content sent, placeholders filled. */
  content: string
  sha256: string
  checked: CheckedAppSpec
}

/** Everything the report needs, filled in stage by stage; true also when a stage failed. */
export interface RunReport {
  settings: Settings | undefined
  bundle: Bundle | undefined
  revision: UploadedRevision | undefined
  /** ECS and Lambda: what is deployed instead of a bundle. */
  appspec?: DeployedAppSpec | undefined
  /** The application's, once CodeDeploy was asked. */
  computePlatform?: ComputePlatform | undefined
  groups: GroupOutcome[]
  error: unknown
  cancelled: boolean
  startedAt: number
  endedAt: number
}

export function consoleUrl(region: string, deploymentId: string): string {
  return `https://${region}.console.aws.amazon.com/codesuite/codedeploy/deployments/${deploymentId}?region=${region}`
}

export function groupSucceeded(g: GroupOutcome, wait: boolean): boolean {
  if (!g.deploymentId) return false
  if (!wait) return g.result === undefined || !['Failed', 'Stopped'].includes(g.result.status)
  const r = g.result
  return r !== undefined && ((r.final && r.status === 'Succeeded') || isReady(r))
}

/** Blue/green waiting for a traffic reroute: this step's part is done (see endNotes). */
export function isReady(r: DeploymentResult): boolean {
  return r.status === READY && !r.final && !r.timedOut && !r.cancelled
}

export function runSucceeded(report: RunReport): boolean {
  const s = report.settings
  if (report.error !== undefined || report.cancelled || !s) return false
  return report.groups.length === s.deploymentGroups.length && report.groups.every(g => groupSucceeded(g, s.wait))
}

/** Duration of the deployments: from the first CreateDeployment to the last end seen. */
export function durationSeconds(report: RunReport): number | undefined {
  const starts = report.groups.map(g => g.result?.createTime?.getTime()).filter((t): t is number => t !== undefined)
  if (starts.length === 0) return undefined
  const ends = report.groups.map(g => g.result?.completeTime?.getTime() ?? report.endedAt)
  return Math.max(0, Math.round((Math.max(...ends) - Math.min(...starts)) / 1000))
}

/** What the step warns about although it passes: a deployment waiting for a reroute, failed instances. */
export function endNotes(r: DeploymentResult): string[] {
  if (isReady(r)) {
    const replacement = r.computePlatform === 'ECS' ? 'replacement task set runs' : 'replacement instances run'
    return [`Deployment ${r.deploymentId} is Ready: the ${replacement} the new revision and CodeDeploy waits for traffic to be rerouted to them. Continue it in the CodeDeploy console or with \`aws deploy continue-deployment --deployment-id ${r.deploymentId}\`; this step does not wait for that.`]
  }
  if (!r.final || r.status !== 'Succeeded' || r.overview.Failed + r.failures.length === 0) return []
  const firsts = r.failures.filter((f, i) => r.failures.findIndex(g => g.instanceId === f.instanceId) === i)
  const named = firsts.slice(0, 10).map(f => `${f.instanceId} (${f.event})`)
  const count = Math.max(r.overview.Failed, firsts.length)
  const more = count > named.length ? [`${count - named.length} ${named.length ? 'more' : 'not read'}`] : []
  return [`Deployment ${r.deploymentId} succeeded, but ${count} instance(s) failed, which the deployment config's minimum healthy hosts allows: ${[...named, ...more].join(', ')}. Those instances may not run the new revision.`]
}

/** Why one group did not succeed, as a sentence that reads as a diagnosis. */
export function groupProblem(g: GroupOutcome, settings: Settings): string | undefined {
  const r = g.result
  if (!g.deploymentId || !r) return undefined
  const where = `Deployment ${g.deploymentId} (${settings.applicationName}/${g.group})`
  if (r.cancelled) {
    return g.stopRequested
      ? `${where} was stopped because the workflow was cancelled${r.status ? ` (last seen ${r.status})` : ''}.`
      : `${where} is still ${r.status}: the workflow was cancelled and stop-on-cancel is false. Follow it at ${g.url}.`
  }
  if (r.timedOut) {
    // Only what was seen: with contact lost, the deployment may have ended meanwhile.
    if (r.lostContact && !seen(r)) {
      return `${where} could not be followed: until timeout-minutes (${settings.timeoutMinutes}) ran out, CodeDeploy could not be reached (${r.lostContact}), so its state is unknown. Check it at ${g.url}.`
    }
    if (r.lostContact) {
      return `${where} did not end within timeout-minutes (${settings.timeoutMinutes}) as far as the action saw: last seen ${r.status} (${standing(r)}), then CodeDeploy could not be reached (${r.lostContact}), so its state now is unknown. Check it at ${g.url}.`
    }
    return `${where} did not end within timeout-minutes (${settings.timeoutMinutes}); last seen ${r.status} (${standing(r)}). It is still running: ${g.url}.`
  }
  if (groupSucceeded(g, settings.wait)) return undefined
  if (r.final && r.status === 'Succeeded') {
    // Succeeded overall, but another group or stage failed: nothing to diagnose here.
    return undefined
  }
  const first = r.failures[0]
  const fn = r.computePlatform === 'ECS' || r.computePlatform === 'Lambda' ? 'hook function ' : ''
  const hook = first
    ? ` ${first.event} failed on ${first.instanceId}${first.errorCode ? ` (${first.errorCode}${first.scriptName ? ` in ${fn}${first.scriptName}` : ''})` : ''}${first.message ? `: ${stop(first.message)}` : '.'}`
    : ''
  const more = r.failures.length > 1 ? ` ${r.failures.length - 1} more failed event(s) in the log.` : ''
  const service = r.errorCode || r.errorMessage ? ` CodeDeploy says: ${stop([r.errorCode, r.errorMessage].filter(Boolean).join(': '))}` : ''
  return `${where} ${r.status}.${hook}${more}${service}${sentence(rollbackStory(r))} ${g.url}`
}

/** What became of the automatic rollback, in a sentence; '' when none was expected. */
export function rollbackStory(r: DeploymentResult): string {
  const id = r.rollbackDeploymentId
  if (!id) return r.rollbackMessage ? `No rollback: ${r.rollbackMessage}` : ''
  const rb = r.rollback
  if (!rb) return `CodeDeploy started rollback deployment ${id}.`
  if (rb.final && rb.status === 'Succeeded') return `Rolled back: rollback deployment ${id} Succeeded (${counts(rb)}), so ${restored(rb)}.`
  if (rb.final) {
    const f = rb.failures[0]
    return `The rollback did not succeed either: rollback deployment ${id} ${rb.status}${f ? `, ${f.event} failed on ${f.instanceId}${f.message ? `: ${f.message}` : ''}` : ''}.`
  }
  if (rb.timedOut) return `Rollback deployment ${id} was still ${rb.status} at the time-out (${standing(rb)}).`
  return `Rollback deployment ${id} was ${rb.status} when the watch ended; it keeps running.`
}

/** What a successful rollback brought back. */
function restored(rb: DeploymentResult): string {
  const traffic = rb.instances.find(i => i.traffic)?.traffic
  // The rollback shifts traffic from the failed version back to the original: its target is the original.
  if (traffic?.platform === 'Lambda') return `alias ${traffic.alias ?? '?'} points at ${replacementName(traffic)} again`
  if (rb.computePlatform === 'ECS') return 'production traffic is back on the original task set'
  return 'the last successful revision is back'
}

export function counts(r: DeploymentResult): string {
  const o = r.overview
  const total = o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
  return `${o.Succeeded}/${total} ${targetNoun(r.computePlatform)} succeeded${o.Failed ? `, ${o.Failed} failed` : ''}${o.Skipped ? `, ${o.Skipped} skipped` : ''}`
}

/** Where an unfinished deployment stands: the counts, running and waiting ones included. */
export function standing(r: DeploymentResult): string {
  const o = r.overview
  const extra = [o.InProgress ? `${o.InProgress} in progress` : '', o.Pending ? `${o.Pending} pending` : '', o.Ready ? `${o.Ready} ready` : ''].filter(Boolean)
  return [counts(r), ...extra].join(', ')
}

/** The watch read the deployment at least once. */
export function seen(r: DeploymentResult): boolean {
  return r.status !== 'Unknown'
}

function sentence(text: string): string {
  return text ? ` ${text}` : ''
}

/** Service text ends a sentence in the diagnosis, so the next one does not run into it. */
function stop(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`
}

/** The one message the step fails with. */
export function failureMessage(report: RunReport): string {
  if (report.error !== undefined) {
    const text = describeError(report.error)
    if (!report.cancelled || /^Cancelled\b/.test(text)) return text
    // Whatever the interrupted stage said (an aborted upload reads as an S3 failure), the cause is the cancel.
    const created = report.groups.some(g => g.deploymentId)
    return `Cancelled${created ? '' : ' before any deployment was created: nothing was deployed'}. (${text})`
  }
  const s = report.settings
  if (!s) return 'The action failed before reading its inputs.'
  const problems = report.groups.map(g => groupProblem(g, s)).filter((p): p is string => Boolean(p))
  if (problems.length) return problems.join('\n')
  return report.cancelled ? 'Cancelled before a deployment was created.' : 'The deployment did not succeed.'
}
