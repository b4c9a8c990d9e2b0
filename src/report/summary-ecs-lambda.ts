import { seconds, type DeploymentResult, type InstanceState, type Traffic } from '../watch/deployment-result.js'
import { percent, replacementName, seenText } from '../watch/traffic.js'
import { code, details, esc, ICON, table } from './markdown.js'
import type { DeployedAppSpec } from './run-report.js'

/** The job summary's facts about an ECS or Lambda AppSpec, in place of the bundle's. */
export function appSpecRows(a: DeployedAppSpec): Array<[string, string]> {
  const c = a.checked
  const rows: Array<[string, string]> = [
    ['Compute platform', c.platform],
    ['AppSpec', `${code(a.path)} (sent as content: nothing uploaded)`],
    ['AppSpec sha256', code(a.sha256)]
  ]
  if (c.ecs) {
    rows.push(['Task definition', code(c.ecs.taskDefinition)], ['Container', code(`${c.ecs.containerName}:${c.ecs.containerPort}`)])
  }
  if (c.lambda) {
    rows.push(
      ['Function', `${code(c.lambda.name)} alias ${code(c.lambda.alias)}`],
      ['Versions', `${esc(c.lambda.currentVersion)} → ${esc(c.lambda.targetVersion)}`]
    )
  }
  rows.push(['Hooks', c.hooks.length ? c.hooks.map(h => `${h.event}: ${code(h.function)}`).join(', ') : 'none'])
  return rows
}

/** ECS services and Lambda aliases: their lifecycle events, and where traffic stands. */
export function targetSections(r: DeploymentResult): string[] {
  const out: string[] = []
  for (const target of r.instances) {
    const t = target.traffic
    if (!t) continue
    const what = t.platform === 'ECS' ? 'ECS service' : 'Lambda alias'
    out.push(`#### ${what} ${code(target.id)}: ${ICON[target.status] ?? ''} ${target.status}`.trimEnd(), '')
    out.push(...(t.platform === 'ECS' ? taskSetTable(t) : versionTable(t)))
    if (t.seen.length > 1) out.push(`Traffic on ${esc(replacementName(t))}, as the watch saw it: ${seenText(t)}`, '')
    // Where traffic stands is in sight; each lifecycle event is folded, as for EC2/on-premises instances.
    out.push(...details(`${target.events.length} lifecycle event(s)`, eventTable(target)))
  }
  return out
}

function eventTable(target: InstanceState): string[] {
  if (target.events.length === 0) return []
  const rows = target.events.map(e => {
    const took = seconds(e.startTime, e.endTime)
    return [e.name, `${ICON[e.status] ?? ''} ${e.status}`, took === undefined ? '' : `${took.toFixed(1)}s`]
  })
  return table(['Lifecycle event', 'Status', 'Took'], rows)
}

function taskSetTable(t: Extract<Traffic, { platform: 'ECS' }>): string[] {
  if (t.taskSets.length === 0) return []
  const rows = t.taskSets.map(s => {
    const tasks = `${s.runningCount ?? '?'}/${s.desiredCount ?? '?'}`
    const name = `${esc(s.label ?? '')} ${code(s.id)}`
    return [name, esc(s.status ?? ''), percent(s.trafficWeight), tasks, code(s.targetGroup ?? '')]
  })
  return table(['Task set', 'Status', 'Traffic', 'Tasks running', 'Target group'], rows)
}

function versionTable(t: Extract<Traffic, { platform: 'Lambda' }>): string[] {
  const weight = t.targetVersionWeight
  const shares = weight === undefined ? ['?%', '?%'] : [percent(100 - weight), percent(weight)]
  return [
    `Function ${code(t.functionName ?? '')}, alias ${code(t.alias ?? '')}:`,
    '',
    ...table(
      ['Version', 'Role', 'Traffic'],
      [
        [esc(t.currentVersion ?? '?'), 'CurrentVersion (traffic moves from it)', shares[0] ?? ''],
        [esc(t.targetVersion ?? '?'), 'TargetVersion (traffic moves to it)', shares[1] ?? '']
      ]
    )
  ]
}
