import type { ECSTarget, LambdaTarget } from '@aws-sdk/client-codedeploy'
import type { ComputePlatform } from '../core/domain.js'
import type { EcsTraffic, LambdaTraffic, TaskSetState, Traffic } from './deployment-result.js'

/**
 * ECS and Lambda deployment targets: their traffic state as plain values, and how it reads in
 * the log and the summary. Blue/Green for ECS task sets; current/target version for a Lambda alias.
 */

export function ecsTraffic(t: ECSTarget): EcsTraffic {
  const taskSets = (t.taskSetsInfo ?? []).map((s): TaskSetState => ({
    id: s.identifer ?? '?',
    label: s.taskSetLabel,
    status: s.status,
    trafficWeight: s.trafficWeight,
    desiredCount: s.desiredCount,
    runningCount: s.runningCount,
    pendingCount: s.pendingCount,
    targetGroup: s.targetGroup?.name
  }))
  // Blue first: the log reads "from -> to" the way the traffic moves.
  taskSets.sort((a, b) => rank(a.label) - rank(b.label))
  return { platform: 'ECS', taskSets, seen: [] }
}

export function lambdaTraffic(t: LambdaTarget): LambdaTraffic {
  const f = t.lambdaFunctionInfo
  return {
    platform: 'Lambda',
    functionName: f?.functionName,
    alias: f?.functionAlias,
    currentVersion: f?.currentVersion,
    targetVersion: f?.targetVersion,
    targetVersionWeight: f?.targetVersionWeight,
    seen: []
  }
}

function rank(label: string | undefined): number {
  return label === 'Blue' ? 0 : label === 'Green' ? 1 : 2
}

/** The replacement's share of traffic (Green, or the target version); undefined before it exists. */
export function replacementWeight(t: Traffic): number | undefined {
  if (t.platform === 'Lambda') return t.targetVersionWeight
  return t.taskSets.find(s => s.label === 'Green')?.trafficWeight
}

/** Where traffic stands: `Blue 90% / Green 10%`, or `version 3 90% / version 4 10%`. */
export function trafficText(t: Traffic): string {
  if (t.platform === 'ECS') {
    return t.taskSets.map(s => `${s.label ?? s.id} ${percent(s.trafficWeight)}`).join(' / ')
  }
  const target = t.targetVersionWeight
  if (target === undefined) return ''
  return `version ${t.currentVersion ?? '?'} ${percent(100 - target)} / version ${t.targetVersion ?? '?'} ${percent(target)}`
}

/** `Green ecs-svc/123 ACTIVE, 2/3 tasks running, target group web-tg-2`. */
export function taskSetText(s: TaskSetState): string {
  const tasks = s.runningCount === undefined ? '' : `, ${s.runningCount}/${s.desiredCount ?? '?'} tasks running`
  return `${s.label ? `${s.label} ` : ''}${s.id} ${s.status ?? 'UNKNOWN'}${tasks}${s.targetGroup ? `, target group ${s.targetGroup}` : ''}`
}

/** The shares the watch saw, as `0% → 10% → 100%`. */
export function seenText(t: Traffic): string {
  return t.seen.map(percent).join(' → ')
}

/** What the replacement is called in sentences: `Green`, or `version 4`. */
export function replacementName(t: Traffic): string {
  return t.platform === 'ECS' ? 'Green' : `version ${t.targetVersion ?? '?'}`
}

export function percent(weight: number | undefined): string {
  if (weight === undefined) return '?%'
  return `${Math.round(weight * 10) / 10}%`
}

/** Remembers the shares seen so far: `next` (a fresh read) continues `before`'s list. */
export function carrySeen(before: Traffic | undefined, next: Traffic): void {
  const history = before?.platform === next.platform ? [...before.seen] : []
  const weight = replacementWeight(next)
  if (weight !== undefined && history.at(-1) !== weight) history.push(weight)
  next.seen = history
}

/** What a deployment's targets are called: instances on EC2/on-premises, targets otherwise. */
export function targetNoun(platform: ComputePlatform | undefined): string {
  return platform === 'ECS' || platform === 'Lambda' ? 'targets' : 'instances'
}
