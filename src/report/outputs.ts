import { describeError, ActionError } from '../core/errors.js'
import { s3Uri } from '../upload/location.js'
import { inTerminationWait, isReady } from '../watch/end-notes.js'
import { utcTime } from '../watch/blue-green-waits.js'
import { trafficText } from '../watch/traffic.js'
import { chatOutputs } from './chat-outputs.js'
import { counts, failureMessage } from './diagnosis.js'
import { durationSeconds, groupSucceeded, runSucceeded, type GroupOutcome, type RunReport } from './run-report.js'

/**
 * The step's outputs. Single-value outputs describe the first group that did not succeed (or the
 * first group); `deployments` has one entry per group. Every key is always set, '' when unknown.
 */
export function computeOutputs(report: RunReport): Record<string, string> {
  const s = report.settings
  const wait = s?.wait ?? true
  const primary = report.groups.find(g => !groupSucceeded(g, wait)) ?? report.groups[0]
  const r = primary?.result
  const failure = r?.failures[0]
  const sum = (key: 'Succeeded' | 'Failed' | 'Skipped'): number => report.groups.reduce((n, g) => n + (g.result?.overview[key] ?? 0), 0)
  const total = report.groups.reduce((n, g) => n + (g.result ? Object.values(g.result.overview).reduce((a, b) => a + b, 0) : 0), 0)
  const errorText =
    report.error === undefined ? undefined : report.error instanceof ActionError ? report.error.describe() : describeError(report.error)
  // A time-out or a cancel has no CodeDeploy message: the step's own diagnosis stands in, so a
  // chat message built from error-message always says why.
  const diagnosis = runSucceeded(report) ? undefined : failureMessage(report)
  const duration = durationSeconds(report)

  return {
    'deployment-id': primary?.deploymentId ?? '',
    status: r?.status ?? commandStatus(report),
    'deployment-url': primary?.url ?? '',
    'bundle-uri': report.revision ? s3Uri(report.revision) : '',
    'bundle-etag': report.revision?.eTag ?? '',
    'bundle-version': report.revision?.version ?? '',
    'bundle-sha256': report.revision?.sha256 ?? report.bundle?.sha256 ?? '',
    'bundle-size': report.revision ? String(report.revision.size) : report.bundle ? String(report.bundle.size) : '',
    uploaded: report.revision ? String(report.revision.uploaded) : 'false',
    'appspec-sha256': report.appspec?.sha256 ?? '',
    sha: s?.sha ?? '',
    'instances-succeeded': String(sum('Succeeded')),
    'instances-failed': String(sum('Failed')),
    'instances-skipped': String(sum('Skipped')),
    'instances-total': String(total),
    'error-code':
      failure?.errorCode ??
      r?.errorCode ??
      (report.error instanceof ActionError ? (report.error.code ?? '') : report.error === undefined ? '' : 'Error'),
    'error-message': failure?.message ?? r?.errorMessage ?? errorText ?? diagnosis ?? '',
    'failed-instance': failure?.instanceId ?? '',
    'failed-event': failure?.event ?? '',
    'rollback-deployment-id': r?.rollbackDeploymentId ?? '',
    'duration-seconds': duration === undefined ? '' : String(duration),
    deployments: JSON.stringify(report.groups.map(g => groupJson(g))),
    summary: summaryLine(report),
    ...chatOutputs(report)
  }
}

function groupJson(g: GroupOutcome): Record<string, unknown> {
  const o = g.result?.overview
  return {
    group: g.group,
    'deployment-id': g.deploymentId ?? null,
    status: g.result?.status ?? null,
    url: g.url ?? null,
    'instances-succeeded': o?.Succeeded ?? 0,
    'instances-failed': o?.Failed ?? 0,
    'instances-skipped': o?.Skipped ?? 0,
    'instances-total': o ? Object.values(o).reduce((a, b) => a + b, 0) : 0,
    'failed-instance': g.result?.failures[0]?.instanceId ?? null,
    'failed-event': g.result?.failures[0]?.event ?? null,
    'deployment-config': g.result?.deploymentConfigName ?? null,
    'rollback-deployment-id': g.result?.rollbackDeploymentId ?? null,
    'rollback-status': g.result?.rollback?.status ?? null
  }
}

/** check and register end without a deployment: their status says what they did. */
function commandStatus(report: RunReport): string {
  if (report.error !== undefined || report.cancelled) return ''
  if (report.command === 'check') return 'Checked'
  if (report.command === 'register' && report.registered) return 'Registered'
  return ''
}

/** check and register: what was checked or registered, in one line. */
function commandLine(report: RunReport, head: string): string | undefined {
  if (report.command !== 'check' && report.command !== 'register') return undefined
  if (report.error !== undefined || report.cancelled) {
    const why = report.error === undefined ? 'cancelled' : describeError(report.error)
    return `${head} ${report.command} FAILED: ${why}`.replace(/\s+/g, ' ')
  }
  if (report.command === 'register') {
    const r = report.revision
    return `${head} registered: ${r ? `${s3Uri(r)} (eTag ${r.eTag}${r.version ? `, version ${r.version}` : ''})` : 'the revision'}`
  }
  const plan = report.check?.find(([k]) => k === 'deploy would')?.[1] ?? 'all checks passed'
  return `${head} checked: ${plan}`.replace(/\s+/g, ' ')
}

/** One plain line a chat message can carry as it is. */
export function summaryLine(report: RunReport): string {
  const s = report.settings
  if (!s) return `CodeDeploy: not deployed: ${describeError(report.error)}`
  const sha = s.sha.slice(0, 7)
  const special = commandLine(report, `CodeDeploy ${s.applicationName} @ ${sha}`)
  if (special) return special
  const duration = durationSeconds(report)
  const parts = report.groups.map(g => {
    const r = g.result
    if (!g.deploymentId) return `${g.group}: not deployed`
    if (!r) return `${g.group}: ${g.deploymentId} created`
    const state = r.cancelled
      ? g.stopRequested
        ? 'Stopped (cancelled)'
        : `${r.status} (cancelled)`
      : r.timedOut
        ? `${r.status} (timed out)`
        : isReady(r)
          ? 'Ready (waiting for traffic reroute)'
          : inTerminationWait(r)
            ? `traffic moved (${r.status}: original environment terminated${r.terminationWait?.terminatesAt ? ` at ${utcTime(r.terminationWait.terminatesAt)}` : ' after its termination wait'})`
            : r.status
    const failure = r.failures[0]
    const where = !failure
      ? ''
      : r.status === 'Succeeded'
        ? ` with failed instances (first: ${failure.event} on ${failure.instanceId})`
        : ` at ${failure.event} on ${failure.instanceId}`
    const rb = r.rollback
    const rollback = r.rollbackDeploymentId
      ? `, rollback ${r.rollbackDeploymentId} ${rb ? `${rb.status}${rb.final ? '' : ' (still running)'}` : 'started'}`
      : ''
    const shifted = r.instances.find(i => i.traffic)?.traffic
    const traffic = shifted && trafficText(shifted) ? `, traffic ${trafficText(shifted)}` : ''
    return `${g.group}: ${g.deploymentId} ${state}${where}, ${counts(r)}${traffic}${rollback}`
  })
  const missing = s.deploymentGroups.filter(name => !report.groups.some(g => g.group === name))
  if (report.groups.length === 0 || missing.length) {
    const why =
      report.error === undefined ? (report.cancelled ? 'cancelled' : 'not deployed') : `not deployed: ${describeError(report.error)}`
    parts.push(`${(missing.length ? missing : s.deploymentGroups).join(', ')}: ${why}`)
  }
  // stop succeeds when the deployment is Stopped: "succeeded" would read as if it had deployed.
  const verdict = runSucceeded(report) ? (s.command === 'stop' ? 'stopped' : 'succeeded') : 'FAILED'
  const took = duration === undefined ? '' : ` in ${duration}s`
  const at = sha ? ` @ ${sha}` : ''
  return `CodeDeploy ${s.applicationName}${at} ${verdict}: ${parts.join('; ')}${took}`.replace(/\s+/g, ' ')
}
