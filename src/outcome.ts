import type { Bundle } from './bundle.js'
import type { DeploymentResult } from './deployment-state.js'
import { ActionError, describeError } from './errors.js'
import type { Settings } from './inputs.js'
import type { UploadedRevision } from './upload.js'

/** One deployment group's part of the run. */
export interface GroupOutcome {
  group: string
  deploymentId: string | undefined
  url: string | undefined
  result: DeploymentResult | undefined
  /** StopDeployment was called for it because the workflow was cancelled. */
  stopRequested: boolean
}

/** Everything the report needs, filled in stage by stage; true also when a stage failed. */
export interface RunReport {
  settings: Settings | undefined
  bundle: Bundle | undefined
  revision: UploadedRevision | undefined
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
  return g.result?.final === true && g.result.status === 'Succeeded'
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
    const contact = r.lostContact ? ` CodeDeploy could not be reached at the end (${r.lostContact}), so this status may be stale.` : ''
    return `${where} did not end within timeout-minutes (${settings.timeoutMinutes}); last seen ${r.status} (${counts(r)}). It is still running: ${g.url}.${contact}`
  }
  if (r.status === 'Succeeded' || (!settings.wait && r.status !== 'Failed' && r.status !== 'Stopped')) return undefined
  const first = r.failures[0]
  const hook = first
    ? ` ${first.event} failed on ${first.instanceId}${first.errorCode ? ` (${first.errorCode}${first.scriptName ? ` in ${first.scriptName}` : ''})` : ''}${first.message ? `: ${first.message}` : '.'}`
    : ''
  const more = r.failures.length > 1 ? ` ${r.failures.length - 1} more failed event(s) in the log.` : ''
  const service = r.errorCode || r.errorMessage ? ` CodeDeploy says: ${[r.errorCode, r.errorMessage].filter(Boolean).join(': ')}` : ''
  const rollback = r.rollbackDeploymentId ? ` Rollback deployment: ${r.rollbackDeploymentId}.` : ''
  return `${where} ${r.status}.${hook}${more}${service}${rollback} ${g.url}`
}

export function counts(r: DeploymentResult): string {
  const o = r.overview
  const total = o.Pending + o.InProgress + o.Succeeded + o.Failed + o.Skipped + o.Ready
  return `${o.Succeeded}/${total} instances succeeded${o.Failed ? `, ${o.Failed} failed` : ''}${o.Skipped ? `, ${o.Skipped} skipped` : ''}`
}

/** The one message the step fails with. */
export function failureMessage(report: RunReport): string {
  if (report.error !== undefined) {
    const text = describeError(report.error)
    return report.error instanceof ActionError || !report.cancelled ? text : `Cancelled: ${text}`
  }
  const s = report.settings
  if (!s) return 'The action failed before reading its inputs.'
  const problems = report.groups.map(g => groupProblem(g, s)).filter((p): p is string => Boolean(p))
  if (problems.length) return problems.join('\n')
  return report.cancelled ? 'Cancelled before a deployment was created.' : 'The deployment did not succeed.'
}
