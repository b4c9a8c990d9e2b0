// @ts-check
// The one deployment target of an ECS or Lambda deployment (the service, or the function alias),
// as the simulator keeps it: status, lifecycle events, and the platform's traffic state.

/**
 * @typedef {import('./state.mjs').Status} Status
 * @typedef {import('./state.mjs').Diagnostics} Diagnostics
 * @typedef {{ lifecycleEventName: string, status: Status, startTime?: number, endTime?: number, diagnostics?: Diagnostics }} EventRecord
 * @typedef {{ identifer: string, desiredCount: number, pendingCount: number, runningCount: number, status: 'PRIMARY' | 'ACTIVE' | 'DRAINING',
 *   trafficWeight: number, targetGroup: { name: string }, taskSetLabel: 'Blue' | 'Green' }} TaskSet
 * @typedef {{ functionName: string, functionAlias: string, currentVersion: string, targetVersion: string, targetVersionWeight: number }} LambdaInfo
 * @typedef {object} TargetRecord
 * @property {'ECS' | 'Lambda'} platform
 * @property {string} targetId
 * @property {string} targetArn
 * @property {Status} status
 * @property {number} lastUpdatedAt
 * @property {EventRecord[]} events in lifecycle order
 * @property {number} cursor index of the event running (or next to run)
 * @property {TaskSet[]} taskSets ECS: Blue (original) then Green (replacement, once Install starts)
 * @property {LambdaInfo | undefined} lambda Lambda: the alias being shifted
 */

/**
 * @param {{ platform: 'ECS' | 'Lambda', targetId: string, targetArn: string, events: readonly string[], now: number }} spec
 * @returns {TargetRecord}
 */
export function newTarget({ platform, targetId, targetArn, events, now }) {
  return {
    platform,
    targetId,
    targetArn,
    status: 'Pending',
    lastUpdatedAt: now,
    events: events.map(lifecycleEventName => ({ lifecycleEventName, status: /** @type {Status} */ ('Pending') })),
    cursor: 0,
    taskSets: [],
    lambda: undefined
  }
}

/** Move the target to `status`, keeping the deployment overview in step. @param {import('./state.mjs').DeploymentRecord} dep @param {TargetRecord} target @param {Status} status @param {number} now */
export function setTargetStatus(dep, target, status, now) {
  target.lastUpdatedAt = now
  if (target.status === status) return
  dep.overview[target.status] -= 1
  dep.overview[status] += 1
  target.status = status
}

/** @param {number | undefined} ms */
const sec = ms => (ms === undefined ? undefined : ms / 1000)

/** LifecycleEvent shapes; ECS and Lambda events carry diagnostics only when they failed. @param {TargetRecord} target */
export function lifecycleEventsShape(target) {
  return target.events.map(e => {
    /** @type {Record<string, unknown>} */
    const out = { lifecycleEventName: e.lifecycleEventName }
    if (e.diagnostics) out['diagnostics'] = { ...e.diagnostics }
    if (e.startTime !== undefined) out['startTime'] = sec(e.startTime)
    if (e.endTime !== undefined) out['endTime'] = sec(e.endTime)
    out['status'] = e.status
    return out
  })
}

/** The fields ECSTarget and LambdaTarget share. @param {import('./state.mjs').DeploymentRecord} dep @param {TargetRecord} target */
export function targetCommon(dep, target) {
  return {
    deploymentId: dep.deploymentId,
    targetId: target.targetId,
    targetArn: target.targetArn,
    lastUpdatedAt: sec(target.lastUpdatedAt),
    lifecycleEvents: lifecycleEventsShape(target),
    status: target.status
  }
}
