import { seconds, type DeploymentResult, type InstanceState } from './deployment-state.js'
import { describeError } from './errors.js'
import { durationSeconds, failureMessage, runSucceeded, type GroupOutcome, type RunReport } from './outcome.js'
import { s3Uri } from './upload.js'

/** Rows of the instance table shown at most; failed instances come first. */
const MAX_ROWS = 50
const EVENT_ORDER = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']
const ICON: Record<string, string> = { Succeeded: '✅', Failed: '❌', Skipped: '⏭️', InProgress: '⏳', Pending: '…', Stopped: '⏹️', Ready: '🟡' }

/** The job summary, in Markdown: true on success, failure, time-out and cancel alike. */
export function renderSummary(report: RunReport): string {
  const s = report.settings
  const ok = runSucceeded(report)
  const out: string[] = []
  const title = s ? `${s.applicationName} → ${s.deploymentGroups.join(', ')}` : 'codedeploy-action'
  out.push(`## ${ok ? '✅' : '❌'} CodeDeploy: ${esc(title)}`, '')
  if (!ok) out.push(`> ${failureMessage(report).split('\n').map(esc).join('<br>')}`, '')

  const rows: Array<[string, string]> = []
  if (s) {
    rows.push(['Application', code(s.applicationName)])
    rows.push(['Commit', code(s.sha)])
    rows.push(['Deployment config', s.deploymentConfig ? code(s.deploymentConfig) : "the group's default"])
  }
  if (report.revision) {
    const r = report.revision
    rows.push(['Bundle', `${code(s3Uri(r))}${r.uploaded ? ' (uploaded)' : ' (already there, reused)'}`])
    rows.push(['Bundle size', `${r.size.toLocaleString('en-US')} bytes`])
    if (r.sha256) rows.push(['Bundle sha256', code(r.sha256)])
    rows.push(['Object eTag / version', `${code(r.eTag)}${r.version ? ` / ${code(r.version)}` : ''}`])
  }
  const duration = durationSeconds(report)
  if (duration !== undefined) rows.push(['Duration', `${duration}s`])
  if (rows.length) {
    out.push('| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '')
  }
  for (const g of report.groups) out.push(...groupSection(g))
  if (report.error !== undefined && report.groups.length === 0) {
    out.push('### Error', '', esc(describeError(report.error)), '')
  }
  return out.join('\n')
}

function groupSection(g: GroupOutcome): string[] {
  const r = g.result
  const out = [`### Deployment group ${code(g.group)}`, '']
  if (!g.deploymentId) return [...out, 'No deployment was created.', '']
  const state = r ? `${ICON[r.status] ?? ''} ${r.status}${r.timedOut ? ' (still running: the watch timed out)' : ''}${r.cancelled ? (g.stopRequested ? ' (stopped: workflow cancelled)' : ' (workflow cancelled)') : ''}` : 'created'
  out.push(`Deployment [${g.deploymentId}](${g.url}): **${state.trim()}**`, '')
  if (!r) return out
  if (r.errorCode || r.errorMessage) out.push(`CodeDeploy: ${code(r.errorCode ?? '')} ${esc(r.errorMessage ?? '')}`, '')
  if (r.rollbackDeploymentId) out.push(`Rollback deployment: ${code(r.rollbackDeploymentId)}`, '')
  out.push(...instanceTable(r), ...failureDetails(r))
  return out
}

function instanceTable(r: DeploymentResult): string[] {
  if (r.instances.length === 0) return []
  const names = eventNames(r.instances)
  const sorted = [...r.instances].sort((a, b) => Number(b.status === 'Failed') - Number(a.status === 'Failed'))
  const shown = sorted.slice(0, MAX_ROWS)
  const lines = [
    `| Instance | Status | ${names.join(' | ')} |`,
    `|---|---|${names.map(() => '---|').join('')}`,
    ...shown.map(i => `| ${code(i.id)} | ${ICON[i.status] ?? ''} ${i.status} | ${names.map(n => eventCell(i, n)).join(' | ')} |`)
  ]
  if (sorted.length > shown.length) lines.push('', `…and ${sorted.length - shown.length} more instances (see the log).`)
  return [...lines, '']
}

function eventNames(instances: readonly InstanceState[]): string[] {
  const seen = new Set(instances.flatMap(i => i.events.map(e => e.name)))
  return [...EVENT_ORDER.filter(n => seen.has(n)), ...[...seen].filter(n => !EVENT_ORDER.includes(n))]
}

function eventCell(instance: InstanceState, name: string): string {
  const e = instance.events.find(x => x.name === name)
  if (!e) return ''
  const took = seconds(e.startTime, e.endTime)
  return `${ICON[e.status] ?? e.status}${took === undefined ? '' : ` ${took.toFixed(1)}s`}`
}

function failureDetails(r: DeploymentResult): string[] {
  const out: string[] = []
  for (const f of r.failures.slice(0, 10)) {
    out.push(`#### ❌ ${code(f.instanceId)} failed ${f.event}`, '')
    const head = [f.errorCode && code(f.errorCode), f.scriptName && `in ${code(f.scriptName)}`].filter(Boolean).join(' ')
    if (head) out.push(head, '')
    if (f.message) out.push(`> ${esc(f.message)}`, '')
    if (f.logTail?.trim()) out.push(...fenced(f.logTail.trimEnd()), '')
  }
  if (r.failures.length > 10) out.push(`…and ${r.failures.length - 10} more failed events (see the log).`, '')
  return out
}

function fenced(text: string): string[] {
  let fence = '```'
  while (text.includes(fence)) fence += '`'
  return [`${fence}text`, text, fence]
}

function esc(text: string): string {
  return text.replace(/[|<>]/g, c => `&#${c.charCodeAt(0)};`).replace(/\r?\n/g, ' ')
}

function code(text: string): string {
  return text ? `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\`` : ''
}
