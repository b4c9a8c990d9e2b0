import { s3Uri } from '../upload/location.js'
import { consoleUrl } from '../deploy/console-url.js'
import type { DeploymentResult } from '../watch/deployment-result.js'
import { endNotes, inTerminationWait, isReady, terminationNote } from '../watch/end-notes.js'
import { counts, rollbackStory } from './diagnosis.js'
import { code, details, esc, fenced, ICON, table } from './markdown.js'
import { durationSeconds, runSucceeded, type GroupOutcome, type RunReport } from './run-report.js'
import { appSpecRows, targetSections } from './summary-ecs-lambda.js'
import { instanceSections } from './summary-instances.js'
import { failureText, leadLines } from './summary-lead.js'

/** Rows of each folded per-instance matrix: a 1,000-instance fleet in full, well under the 1 MiB a job summary may hold. */
export const MATRIX_ROWS = 1000
/** Failed events told with their log tails, per deployment. */
const MAX_FAILURES = 10

export interface SummaryOptions {
  /** Rows of each per-instance matrix at most (smaller when the whole summary would be too big). */
  matrixRows?: number
}

/**
 * The job summary, in Markdown: true on success, failure, time-out and cancel alike. In the order
 * a person reads it: the diagnosis and the failing hook's log tail, then the facts, then each
 * group (the instances that did not succeed in sight, every instance and event folded away).
 */
export function renderSummary(report: RunReport, options: SummaryOptions = {}): string {
  const s = report.settings
  const ok = runSucceeded(report)
  const title = s ? `${s.applicationName} → ${s.deploymentGroups.join(', ')}` : 'codedeploy-action'
  const out = [`## ${ok ? '✅' : '❌'} CodeDeploy: ${esc(title)}`, '', ...leadLines(report)]
  const rows = facts(report)
  if (rows.length) out.push(...table(['Fact', 'Value'], rows))
  const matrixRows = options.matrixRows ?? MATRIX_ROWS
  for (const g of report.groups) out.push(...groupSection(g, report, matrixRows))
  return out.join('\n')
}

/** GitHub refuses a step's whole summary past 1024 KiB: a big fleet's folded matrix gives way first. */
const SUMMARY_BYTES = 1000 * 1024

/** The summary, its per-instance matrices cut shorter until it fits what GitHub accepts. */
export function renderSummaryWithin(report: RunReport, maxBytes = SUMMARY_BYTES): string {
  let md = ''
  for (const matrixRows of [MATRIX_ROWS, 200, 20, 0]) {
    md = renderSummary(report, { matrixRows })
    if (Buffer.byteLength(md) <= maxBytes) break
  }
  return md
}

function facts(report: RunReport): string[][] {
  const s = report.settings
  const rows: string[][] = []
  if (s) rows.push(['Application', code(s.applicationName)], ['Commit', code(s.sha)], ['Deployment config', configCell(report)])
  if (report.appspec) rows.push(...appSpecRows(report.appspec))
  const r = report.revision
  if (r) {
    // The key can be long (prefix, 40-character sha): alone in its cell, so the table stays narrow.
    rows.push(['Bundle', code(s3Uri(r))], ['Uploaded', r.uploaded ? 'yes' : 'no: the identical bundle was already there'])
    rows.push(['Bundle size', `${r.size.toLocaleString('en-US')} bytes`])
    if (r.sha256) rows.push(['Bundle sha256', code(r.sha256)])
    rows.push(['Object eTag', code(r.eTag)])
    if (r.version) rows.push(['Object version', code(r.version)])
  }
  // check and register: what they found and did (also in the log).
  if (report.check) rows.push(...report.check.map(([k, v]): [string, string] => [esc(k), esc(v)]))
  if (report.registered) {
    const when = report.registered.registerTime ? ` at ${report.registered.registerTime.toISOString()}` : ''
    rows.push([
      'Registered',
      `with application ${code(s?.applicationName ?? '')}${when}: deploy it later with \`sha\` and \`upload: never\``
    ])
  }
  const duration = durationSeconds(report)
  if (duration !== undefined) rows.push(['Duration', `${duration}s`])
  return rows
}

function configCell(report: RunReport): string {
  const used = [...new Set(report.groups.map(g => g.result?.deploymentConfigName).filter((c): c is string => Boolean(c)))]
  if (report.settings?.deploymentConfig) return code(report.settings.deploymentConfig)
  return used.length ? `${used.map(code).join(', ')} (the group's own)` : "the group's default"
}

function groupSection(g: GroupOutcome, report: RunReport, matrixRows: number): string[] {
  const r = g.result
  const region = report.settings?.region
  const out = [`### Deployment group ${code(g.group)}`, '']
  if (!g.deploymentId) return [...out, 'No deployment was created.', '']
  out.push(`Deployment [${g.deploymentId}](${g.url}): ${r ? `**${stateText(r, g.stopRequested)}**, ${counts(r)}` : '**created**'}`, '')
  if (!r) return out
  for (const note of endNotes(r)) out.push(`> ⚠️ ${esc(note)}`, '')
  if (inTerminationWait(r)) out.push(`> ℹ️ ${esc(terminationNote(r))}`, '')
  if (r.errorCode || r.errorMessage) out.push(`CodeDeploy: ${code(r.errorCode ?? '')} ${esc(r.errorMessage ?? '')}`, '')
  const options = { asOf: r.completeTime?.getTime() ?? report.endedAt, matrixRows }
  out.push(...(r.instances.some(i => i.traffic) ? targetSections(r) : instanceSections(r, options)))
  // The first failure leads the page (summary-lead.ts); the others are folded here with their log tails.
  const others = r.failures.slice(1, MAX_FAILURES)
  const beyond = r.failures.length > MAX_FAILURES ? [`…and ${r.failures.length - MAX_FAILURES} more failed events (see the log).`, ''] : []
  out.push(
    ...details(
      `${r.failures.length - 1} more failed event(s), with their log tails`,
      others.length ? [...failureDetails(r, others), ...beyond] : []
    )
  )
  const story = rollbackStory(r)
  if (r.rollbackDeploymentId) {
    const link = region ? `[${r.rollbackDeploymentId}](${consoleUrl(region, r.rollbackDeploymentId)})` : code(r.rollbackDeploymentId)
    out.push(`#### ↩️ Rollback deployment ${link}${r.rollback ? `: ${stateText(r.rollback, false)}` : ''}`, '', esc(story), '')
    if (r.rollback?.instances.some(i => i.traffic)) out.push(...targetSections(r.rollback))
    if (r.rollback) out.push(...failureDetails(r.rollback, r.rollback.failures.slice(0, MAX_FAILURES)))
  } else if (story) {
    out.push(esc(story), '')
  }
  return out
}

function stateText(r: DeploymentResult, stopRequested: boolean): string {
  const why = r.timedOut
    ? r.lostContact
      ? ' (state unknown: CodeDeploy could not be reached until the time-out)'
      : ' (still running: the watch timed out)'
    : r.cancelled
      ? stopRequested
        ? ' (stopped: workflow cancelled)'
        : ' (workflow cancelled)'
      : isReady(r)
        ? ' (waiting for traffic to be rerouted)'
        : inTerminationWait(r)
          ? ' (traffic moved; original environment in its termination wait)'
          : ''
  return `${ICON[r.status] ?? ''} ${r.status}${why}`.trim()
}

function failureDetails(r: DeploymentResult, failures: DeploymentResult['failures']): string[] {
  const out: string[] = []
  for (const f of failures) {
    out.push(`#### ❌ ${code(f.instanceId)} failed ${f.event}`, '', failureText(f, r).replace(/^:? /, ''), '')
    if (f.logTail?.trim()) out.push(...fenced(f.logTail.trimEnd()), '')
  }
  return out
}
