import type { Settings } from '../inputs/settings.js'
import type { DeploymentResult, FailedEvent } from '../watch/deployment-result.js'
import { failureMessage, groupProblem, rollbackStory } from './diagnosis.js'
import { code, esc, fenced } from './markdown.js'
import { groupSucceeded, runSucceeded, type GroupOutcome, type RunReport } from './run-report.js'

/**
 * The top of the job summary, before any table: what went wrong, one line per group (which
 * instance, which hook, which script and exit code), the failing hook's log tail right under it,
 * then what became of the deployment (the rollback, more failures). That is what a person opens
 * the page for; the facts and the instance tables follow.
 */
export function leadLines(report: RunReport): string[] {
  const s = report.settings
  const out: string[] = []
  // A stage that threw (bad input, S3, a group whose deployment could not be created) says so first.
  if (report.error !== undefined) out.push(`❌ ${esc(failureMessage(report))}`, '')
  if (s) {
    const several = report.groups.length > 1
    for (const g of report.groups) out.push(...groupLead(g, s, several))
  }
  if (out.length === 0 && !runSucceeded(report)) out.push(`❌ ${esc(failureMessage(report))}`, '')
  return out
}

function groupLead(g: GroupOutcome, s: Settings, several: boolean): string[] {
  const r = g.result
  if (!r) return []
  const first = r.failures[0]
  const problem = groupProblem(g, s)
  // No failed event to show: the sentence of the diagnosis (a time-out, a cancel) is the lead.
  if (!first) return problem ? [`❌ ${esc(problem)}`, ''] : []
  // Succeeded although an instance failed (minimum healthy hosts allowed it): a warning, not a failure.
  const icon = groupSucceeded(g, s.wait) || (r.final && r.status === 'Succeeded') ? '⚠️' : '❌'
  const where = several ? `${code(g.group)}: ` : ''
  const out = [`**${icon} ${where}${first.event} failed on ${code(first.instanceId)}**${failureText(first, r)}`, '']
  if (first.logTail?.trim()) out.push(...fenced(first.logTail.trimEnd()), '')
  const more = r.failures.length > 1 ? `${r.failures.length - 1} more failed event(s) below.` : ''
  // A time-out or a cancel is told in the diagnosis' words; otherwise what became of the rollback.
  const then = r.timedOut || r.cancelled ? (problem ?? '') : rollbackStory(r)
  const tail = [more, then].filter(Boolean).join(' ')
  if (tail) out.push(esc(tail), '')
  return out
}

/** After "<event> failed on <instance>": the script and its exit code, or the agent's message. */
export function failureText(f: FailedEvent, r: DeploymentResult): string {
  const message = f.message ?? ''
  const errorCode = f.errorCode ? ` (${code(f.errorCode)})` : ''
  // The agent's own wording: "Script at specified location: <script> run as user <user> failed with exit code <n>",
  // "... failed to complete in <n> seconds". The exit code says it all; the rest would repeat the line.
  const exit = /failed with exit code (-?\d+)/.exec(message)?.[1]
  if (f.scriptName && exit !== undefined) return `: ${code(f.scriptName)} exited with code ${exit}${errorCode}`
  const limit = /failed to complete in (\d+) seconds/.exec(message)?.[1]
  if (f.scriptName && limit !== undefined) return `: ${code(f.scriptName)} did not finish within its ${limit}s timeout${errorCode}`
  // ECS and Lambda hooks are Lambda functions, not scripts.
  const fn = r.computePlatform === 'ECS' || r.computePlatform === 'Lambda' ? 'hook function ' : ''
  const script = f.scriptName ? ` in ${fn}${code(f.scriptName)}` : ''
  return `${script}${errorCode}${message ? `: ${esc(cut(message, 300))}` : ''}`
}

function cut(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
