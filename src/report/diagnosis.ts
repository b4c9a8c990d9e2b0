import { describeError } from '../core/errors.js'
import type { Settings } from '../inputs/settings.js'
import type { DeploymentResult } from '../watch/deployment-result.js'
import { replacementName, targetNoun } from '../watch/traffic.js'
import { groupSucceeded, type GroupOutcome, type RunReport } from './run-report.js'

/** The diagnosis: why a run or a group did not succeed, and what became of its rollback, in sentences. */

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
      return (
        `${where} could not be followed: until timeout-minutes (${settings.timeoutMinutes}) ran out, CodeDeploy could not be ` +
        `reached (${r.lostContact}), so its state is unknown. Check it at ${g.url}.`
      )
    }
    if (r.lostContact) {
      return (
        `${where} did not end within timeout-minutes (${settings.timeoutMinutes}) as far as the action saw: ` +
        `last seen ${r.status} (${standing(r)}), then CodeDeploy could not be reached (${r.lostContact}), so its state now is unknown. ` +
        `Check it at ${g.url}.`
      )
    }
    return (
      `${where} did not end within timeout-minutes (${settings.timeoutMinutes}); last seen ${r.status} (${standing(r)}). It is ` +
      `still running: ${g.url}.`
    )
  }
  if (groupSucceeded(g, settings.wait)) return undefined
  if (r.final && r.status === 'Succeeded') {
    // Succeeded overall, but another group or stage failed: nothing to diagnose here.
    return undefined
  }
  const first = r.failures[0]
  const fn = r.computePlatform === 'ECS' || r.computePlatform === 'Lambda' ? 'hook function ' : ''
  const script = first?.scriptName ? ` in ${fn}${first.scriptName}` : ''
  const code = first?.errorCode ? ` (${first.errorCode}${script})` : ''
  const hook = first ? ` ${first.event} failed on ${first.instanceId}${code}${first.message ? `: ${stop(first.message)}` : '.'}` : ''
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
    return (
      `The rollback did not succeed either: rollback ` +
      `deployment ${id} ${rb.status}${f ? `, ${f.event} failed on ${f.instanceId}${f.message ? `: ${f.message}` : ''}` : ''}.`
    )
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
  const failed = o.Failed ? `, ${o.Failed} failed` : ''
  const skipped = o.Skipped ? `, ${o.Skipped} skipped` : ''
  return `${o.Succeeded}/${total} ${targetNoun(r.computePlatform)} succeeded${failed}${skipped}`
}

/** Where an unfinished deployment stands: the counts, running and waiting ones included. */
export function standing(r: DeploymentResult): string {
  const o = r.overview
  const extra = [
    o.InProgress ? `${o.InProgress} in progress` : '',
    o.Pending ? `${o.Pending} pending` : '',
    o.Ready ? `${o.Ready} ready` : ''
  ].filter(Boolean)
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
