import { seconds, type DeploymentResult, type InstanceState } from '../watch/deployment-result.js'
import { code, details, ICON, table } from './markdown.js'

/**
 * EC2/on-premises instances in the job summary. In sight: one narrow row per instance that did not
 * succeed, with the event that stopped it. Folded: every instance and every lifecycle event, a
 * table too wide and too long for the page (9 columns; 1,000 rows on a big fleet).
 */

/** Rows of the visible table of instances that did not succeed; the rest are in the folded matrix. */
const VISIBLE_ROWS = 10
/** From this many instances on, the folded part opens with how each event went across the fleet. */
const BIG_FLEET = 50
/** EC2/on-premises events in lifecycle order. */
const EVENT_ORDER = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']
/** Instances in these states run the new revision (or wait for a reroute): the visible table leaves them out. */
const FINE = new Set(['Succeeded', 'Ready'])
/** Failed first, then running, then waiting, then skipped (never got the revision): the order a person reads them in. */
const RANK: Record<string, number> = { Failed: 0, InProgress: 1, Pending: 2, Skipped: 4 }

export interface InstanceOptions {
  /** When the report was made (epoch ms): how long a still-running event has taken. */
  asOf: number
  /** Rows of the folded per-instance matrix at most (the job summary is refused past 1 MiB). */
  matrixRows: number
}

export function instanceSections(r: DeploymentResult, options: InstanceOptions): string[] {
  if (r.instances.length === 0) return []
  const n = r.instances.length.toLocaleString('en-US')
  const folded = [...eventTimings(r), ...matrix(r, options.matrixRows)]
  return [...unfinishedTable(r, options.asOf), ...details(`All ${n} instance(s) and their lifecycle events`, folded)]
}

/** Each instance that failed or has not finished, and the event it stopped at. */
function unfinishedTable(r: DeploymentResult, asOf: number): string[] {
  const stuck = r.instances.filter(i => !FINE.has(i.status)).sort((a, b) => rank(a) - rank(b))
  if (stuck.length === 0) return []
  const rows = stuck.slice(0, VISIBLE_ROWS).map(i => {
    const [event, took] = stoppedAt(i, asOf)
    return [code(i.id), `${ICON[i.status] ?? ''} ${i.status}`.trim(), event, took]
  })
  const more = stuck.length > rows.length ? [`…and ${stuck.length - rows.length} more that did not succeed (all of them below).`, ''] : []
  return [...table(['Instance', 'Status', 'Stopped at', 'Took'], rows), ...more]
}

/** The event an instance failed at or is busy with, and how long it took (or has taken so far). */
function stoppedAt(i: InstanceState, asOf: number): [string, string] {
  const failed = i.events.find(e => e.status === 'Failed')
  if (failed) return [`❌ ${failed.name}`, secondsText(seconds(failed.startTime, failed.endTime))]
  const running = i.events.find(e => e.status === 'InProgress')
  if (running) {
    const sofar = running.startTime ? Math.max(0, (asOf - running.startTime.getTime()) / 1000) : undefined
    return [`⏳ ${running.name}`, sofar === undefined ? '' : `${secondsText(sofar)} so far`]
  }
  if (i.status === 'Skipped') return ['⏭️ skipped: not deployed', '']
  const next = i.events.find(e => e.status === 'Pending')
  const started = i.events.some(e => e.status === 'Succeeded')
  if (next && started) return [`… ${next.name} (next)`, '']
  return ['not started', '']
}

function rank(i: InstanceState): number {
  return RANK[i.status] ?? 3
}

function secondsText(s: number | undefined): string {
  return s === undefined ? '' : `${s.toFixed(1)}s`
}

/** Every instance, a column per lifecycle event; failed instances first. */
function matrix(r: DeploymentResult, max: number): string[] {
  const names = eventNames(r.instances)
  const sorted = [...r.instances].sort((a, b) => Number(b.status === 'Failed') - Number(a.status === 'Failed'))
  const shown = sorted.slice(0, max)
  const rows = shown.map(i => [code(i.id), `${ICON[i.status] ?? ''} ${i.status}`, ...names.map(n => eventCell(i, n))])
  const lines = table(['Instance', 'Status', ...names], rows)
  if (sorted.length > shown.length) lines.push(`…and ${sorted.length - shown.length} more instances (see the log).`, '')
  return lines
}

/** For a fleet too big to read row by row: how every lifecycle event went, across all instances. */
function eventTimings(r: DeploymentResult): string[] {
  if (r.instances.length <= BIG_FLEET) return []
  const rows = eventNames(r.instances).map(name => {
    const events = r.instances.flatMap(i =>
      i.events.filter(e => e.name === name).map(e => ({ id: i.id, e, s: seconds(e.startTime, e.endTime) }))
    )
    const n = (status: string): string => String(events.filter(x => x.e.status === status).length)
    const timed = events
      .filter((x): x is typeof x & { s: number } => x.s !== undefined && x.e.status !== 'Skipped')
      .sort((a, b) => a.s - b.s)
    const median = timed[Math.floor((timed.length - 1) / 2)]
    const slowest = timed.at(-1)
    return [
      name,
      n('Succeeded'),
      n('Failed'),
      n('Skipped'),
      secondsText(median?.s),
      slowest ? `${secondsText(slowest.s)} on ${code(slowest.id)}` : ''
    ]
  })
  return ['Lifecycle events across all instances:', '', ...table(['Event', '✅', '❌', '⏭️', 'median', 'slowest'], rows)]
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
