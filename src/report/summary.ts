import { describeError } from '../core/errors.js'
import { s3Uri } from '../upload/location.js'
import { consoleUrl } from '../deploy/console-url.js'
import { seconds, type DeploymentResult, type InstanceState } from '../watch/deployment-result.js'
import { endNotes, inTerminationWait, isReady, terminationNote } from '../watch/end-notes.js'
import { counts, failureMessage, rollbackStory } from './diagnosis.js'
import { code, esc, fenced, ICON } from './markdown.js'
import { durationSeconds, runSucceeded, type GroupOutcome, type RunReport } from './run-report.js'
import { appSpecRows, targetSections } from './summary-ecs-lambda.js'

/** Rows of the instance table shown at most; failed instances come first. */
const MAX_ROWS = 50
/** EC2/on-premises events in lifecycle order (ECS and Lambda targets have a table of their own). */
const EVENT_ORDER = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']

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
    rows.push(['Deployment config', configCell(report)])
  }
  if (report.appspec) rows.push(...appSpecRows(report.appspec))
  if (report.revision) {
    const r = report.revision
    rows.push(['Bundle', `${code(s3Uri(r))}${r.uploaded ? ' (uploaded)' : ' (already there, reused)'}`])
    rows.push(['Bundle size', `${r.size.toLocaleString('en-US')} bytes`])
    if (r.sha256) rows.push(['Bundle sha256', code(r.sha256)])
    rows.push(['Object eTag / version', `${code(r.eTag)}${r.version ? ` / ${code(r.version)}` : ''}`])
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
  if (rows.length) {
    out.push('| | |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`), '')
  }
  for (const g of report.groups) out.push(...groupSection(g, s?.region))
  if (report.error !== undefined && report.groups.length === 0) {
    out.push('### Error', '', esc(describeError(report.error)), '')
  }
  return out.join('\n')
}

function configCell(report: RunReport): string {
  const used = [...new Set(report.groups.map(g => g.result?.deploymentConfigName).filter((c): c is string => Boolean(c)))]
  if (report.settings?.deploymentConfig) return code(report.settings.deploymentConfig)
  return used.length ? `${used.map(code).join(', ')} (the group's own)` : "the group's default"
}

function groupSection(g: GroupOutcome, region: string | undefined): string[] {
  const r = g.result
  const out = [`### Deployment group ${code(g.group)}`, '']
  if (!g.deploymentId) return [...out, 'No deployment was created.', '']
  out.push(`Deployment [${g.deploymentId}](${g.url}): ${r ? `**${stateText(r, g.stopRequested)}**, ${counts(r)}` : '**created**'}`, '')
  if (!r) return out
  for (const note of endNotes(r)) out.push(`> ⚠️ ${esc(note)}`, '')
  if (inTerminationWait(r)) out.push(`> ℹ️ ${esc(terminationNote(r))}`, '')
  if (r.errorCode || r.errorMessage) out.push(`CodeDeploy: ${code(r.errorCode ?? '')} ${esc(r.errorMessage ?? '')}`, '')
  const shifting = r.instances.some(i => i.traffic)
  out.push(...(shifting ? targetSections(r) : [...instanceTable(r), ...eventTimings(r)]), ...failureDetails(r))
  const story = rollbackStory(r)
  if (r.rollbackDeploymentId) {
    const link = region ? `[${r.rollbackDeploymentId}](${consoleUrl(region, r.rollbackDeploymentId)})` : code(r.rollbackDeploymentId)
    out.push(`#### ↩️ Rollback deployment ${link}${r.rollback ? `: ${stateText(r.rollback, false)}` : ''}`, '', esc(story), '')
    if (r.rollback?.instances.some(i => i.traffic)) out.push(...targetSections(r.rollback))
    if (r.rollback) out.push(...failureDetails(r.rollback))
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

/** For a fleet too big for one row each: how every lifecycle event went, across all instances. */
function eventTimings(r: DeploymentResult): string[] {
  if (r.instances.length <= MAX_ROWS) return []
  const lines = ['| Event | ✅ | ❌ | ⏭️ | median | slowest |', '|---|---|---|---|---|---|']
  for (const name of eventNames(r.instances)) {
    const events = r.instances.flatMap(i =>
      i.events.filter(e => e.name === name).map(e => ({ id: i.id, e, s: seconds(e.startTime, e.endTime) }))
    )
    const n = (status: string): number => events.filter(x => x.e.status === status).length
    const timed = events
      .filter((x): x is typeof x & { s: number } => x.s !== undefined && x.e.status !== 'Skipped')
      .sort((a, b) => a.s - b.s)
    const median = timed[Math.floor((timed.length - 1) / 2)]
    const slowest = timed.at(-1)
    const middle = median ? `${median.s.toFixed(1)}s` : ''
    const longest = slowest ? `${slowest.s.toFixed(1)}s on ${code(slowest.id)}` : ''
    lines.push(`| ${name} | ${n('Succeeded')} | ${n('Failed')} | ${n('Skipped')} | ${middle} | ${longest} |`)
  }
  return ['Lifecycle events across all instances:', '', ...lines, '']
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
  // ECS and Lambda hooks are Lambda functions, not scripts.
  const hookFunction = r.computePlatform === 'ECS' || r.computePlatform === 'Lambda' ? 'hook function ' : ''
  for (const f of r.failures.slice(0, 10)) {
    out.push(`#### ❌ ${code(f.instanceId)} failed ${f.event}`, '')
    const head = [f.errorCode && code(f.errorCode), f.scriptName && `in ${hookFunction}${code(f.scriptName)}`].filter(Boolean).join(' ')
    if (head) out.push(head, '')
    if (f.message) out.push(`> ${esc(f.message)}`, '')
    if (f.logTail?.trim()) out.push(...fenced(f.logTail.trimEnd()), '')
  }
  if (r.failures.length > 10) out.push(`…and ${r.failures.length - 10} more failed events (see the log).`, '')
  return out
}
