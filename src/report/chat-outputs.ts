import { isReady } from '../watch/end-notes.js'
import { groupSucceeded, runSucceeded, type RunReport } from './run-report.js'

/**
 * The outputs a chat message or a later job's `if:` reads without parsing anything: one result
 * word, the first failure's script and log tail, every failed instance, and when it ran.
 */

/**
 * The log tail output keeps the last 2,000 characters. CodeDeploy returns up to 4 KB; a Slack
 * section block holds at most 3,000 characters (room is left for a code fence and a heading), and
 * a Teams Adaptive Card stays far below its 28 KB. The end is kept: it holds the error.
 */
export const LOG_TAIL_OUTPUT_LIMIT = 2000

export type ResultWord = 'succeeded' | 'failed' | 'stopped' | 'cancelled' | 'timed-out' | 'ready' | 'created' | 'checked' | 'registered'

export function chatOutputs(report: RunReport): Record<string, string> {
  const s = report.settings
  const wait = s?.wait ?? true
  const primary = report.groups.find(g => !groupSucceeded(g, wait)) ?? report.groups[0]
  const r = primary?.result
  const failure = r?.failures[0]
  const starts = report.groups.map(g => g.result?.createTime?.getTime()).filter((t): t is number => t !== undefined)
  const ends = report.groups.filter(g => g.result).map(g => g.result?.completeTime?.getTime() ?? report.endedAt)
  return {
    'application-name': s?.applicationName ?? '',
    'deployment-group': s?.deploymentGroups[0] ?? '',
    result: resultWord(report),
    'rollback-status': r?.rollback?.status ?? '',
    'failed-script': failure?.scriptName ?? '',
    'log-tail': logTailOutput(failure?.logTail),
    'failed-instances': JSON.stringify(
      report.groups.flatMap(g =>
        (g.result?.failures ?? []).map(f => ({
          instance: f.instanceId,
          group: g.group,
          'deployment-id': g.deploymentId ?? null,
          event: f.event,
          'error-code': f.errorCode ?? null,
          script: f.scriptName ?? null
        }))
      )
    ),
    'started-at': starts.length ? new Date(Math.min(...starts)).toISOString() : '',
    'ended-at': ends.length ? new Date(Math.max(...ends)).toISOString() : '',
    'github-deployment-url': report.githubDeploymentUrl ?? ''
  }
}

/** One word for the whole run: what a chat message leads with, or an `if:` tests. */
export function resultWord(report: RunReport): ResultWord {
  if (report.cancelled) return 'cancelled'
  const done = report.error === undefined
  if (done && report.command === 'check') return 'checked'
  if (done && report.command === 'register') return 'registered'
  const wait = report.settings?.wait ?? true
  const primary = report.groups.find(g => !groupSucceeded(g, wait)) ?? report.groups[0]
  const r = primary?.result
  if (r?.cancelled) return 'cancelled'
  if (r?.timedOut) return 'timed-out'
  if (r?.status === 'Stopped') return 'stopped'
  if (!runSucceeded(report)) return 'failed'
  if (report.groups.some(g => g.result && isReady(g.result))) return 'ready'
  if (!wait) return 'created'
  return 'succeeded'
}

/** The end of the log, cut at a line start when it must be cut, trailing blank lines dropped. */
export function logTailOutput(tail: string | undefined): string {
  const text = (tail ?? '').replace(/\s+$/, '')
  if (text.length <= LOG_TAIL_OUTPUT_LIMIT) return text
  const kept = text.slice(text.length - (LOG_TAIL_OUTPUT_LIMIT - 2))
  const newline = kept.indexOf('\n')
  // A partial first line is dropped unless it is the only line there is.
  return `…\n${newline >= 0 && newline < kept.length - 1 ? kept.slice(newline + 1) : kept}`
}
