// @ts-check
// Amazon ECS blue/green: the group's service and target groups, the ECSTarget with its two task
// sets (Blue: the original, serving production; Green: the replacement created by Install), and
// how traffic and task counts move through the lifecycle.
import crypto from 'node:crypto'
import { ACCOUNT_ID, REGION } from './state.mjs'
import { ECS_EVENTS } from './appspec-content.mjs'
import { newTarget, targetCommon } from './target-record.mjs'

/**
 * @typedef {import('./target-record.mjs').TargetRecord} TargetRecord
 * @typedef {import('./target-record.mjs').TaskSet} TaskSet
 * @typedef {{ clusterName: string, serviceName: string, desiredCount?: number }} EcsServiceSpec
 * @typedef {object} EcsGroup
 * @property {string} clusterName
 * @property {string} serviceName
 * @property {number} desiredCount tasks per task set
 * @property {[string, string]} targetGroups the pair the task sets alternate between
 * @property {string} listenerArn production listener
 * @property {{ identifer: string, targetGroup: string }} live the task set serving production now
 */

const hex = (/** @type {number} */ bytes) => crypto.randomBytes(bytes).toString('hex')
/** Task set ids look like the service's: ecs-svc/ and 19 digits. */
const newIdentifer = () =>
  `ecs-svc/${BigInt(`0x${hex(8)}`)
    .toString()
    .padStart(19, '0')
    .slice(-19)}`

/** @param {{ ecsService?: EcsServiceSpec, targetGroups?: [string, string] }} spec @param {string} groupName @returns {EcsGroup} */
export function ecsGroup(spec, groupName) {
  const svc = spec.ecsService
  if (!svc || typeof svc.clusterName !== 'string' || !svc.clusterName || typeof svc.serviceName !== 'string' || !svc.serviceName) {
    throw new Error(`testbed: ECS deployment group ${groupName} needs ecsService: { clusterName, serviceName }`)
  }
  const desiredCount = svc.desiredCount ?? 2
  if (!Number.isInteger(desiredCount) || desiredCount < 1) throw new Error('testbed: ecsService.desiredCount must be a positive integer')
  const targetGroups = spec.targetGroups ?? [`${svc.serviceName}-tg-1`, `${svc.serviceName}-tg-2`]
  if (targetGroups.length !== 2 || targetGroups[0] === targetGroups[1])
    throw new Error('testbed: targetGroups must name two different target groups')
  return {
    clusterName: svc.clusterName,
    serviceName: svc.serviceName,
    desiredCount,
    targetGroups: [targetGroups[0], targetGroups[1]],
    listenerArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT_ID}:listener/app/${svc.serviceName}-alb/${hex(8)}/${hex(8)}`,
    live: { identifer: newIdentifer(), targetGroup: targetGroups[0] }
  }
}

/** What GetDeploymentGroup adds for an ECS group. @param {EcsGroup} g */
export function ecsGroupInfo(g) {
  return {
    ecsServices: [{ serviceName: g.serviceName, clusterName: g.clusterName }],
    loadBalancerInfo: {
      targetGroupPairInfoList: [
        { targetGroups: g.targetGroups.map(name => ({ name })), prodTrafficRoute: { listenerArns: [g.listenerArn] } }
      ]
    },
    blueGreenDeploymentConfiguration: {
      terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 0 },
      deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 }
    }
  }
}

/** @param {EcsGroup} g @param {number} now @returns {TargetRecord} */
export function newEcsTarget(g, now) {
  const target = newTarget({
    platform: 'ECS',
    targetId: `${g.clusterName}:${g.serviceName}`,
    targetArn: `arn:aws:ecs:${REGION}:${ACCOUNT_ID}:service/${g.clusterName}/${g.serviceName}`,
    events: ECS_EVENTS,
    now
  })
  const n = g.desiredCount
  target.taskSets.push({
    identifer: g.live.identifer,
    desiredCount: n,
    pendingCount: 0,
    runningCount: n,
    status: 'PRIMARY',
    trafficWeight: 100,
    targetGroup: { name: g.live.targetGroup },
    taskSetLabel: 'Blue'
  })
  return target
}

/** @param {TargetRecord} t */
const blue = t => /** @type {TaskSet} */ (t.taskSets.find(s => s.taskSetLabel === 'Blue'))
/** @param {TargetRecord} t */
const green = t => t.taskSets.find(s => s.taskSetLabel === 'Green')

/**
 * Why ECS would refuse to create a task set from this task definition, if it would: a full ARN,
 * `family` or `family:revision` (an unfilled placeholder such as <TASK_DEFINITION> is none of them).
 * @param {string} taskDefinition @returns {string | null}
 */
export function taskDefinitionProblem(taskDefinition) {
  const family = '[A-Za-z0-9_-]{1,255}'
  const ok = new RegExp(`^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\\d{12}:task-definition/${family}(:\\d+)?|${family}(:\\d+)?)$`).test(
    taskDefinition
  )
  return ok
    ? null
    : `Failed to create the replacement task set: the task definition "${taskDefinition}" is not a task definition ARN, family or family:revision (ECS ClientException).`
}

/** Install starts: ECS creates the replacement task set behind the other target group. @param {TargetRecord} t @param {EcsGroup} g */
export function createGreen(t, g) {
  const other = g.targetGroups[0] === blue(t).targetGroup.name ? g.targetGroups[1] : g.targetGroups[0]
  t.taskSets.push({
    identifer: newIdentifer(),
    desiredCount: g.desiredCount,
    pendingCount: g.desiredCount,
    runningCount: 0,
    status: 'ACTIVE',
    trafficWeight: 0,
    targetGroup: { name: other },
    taskSetLabel: 'Green'
  })
}

/** Install ends: the replacement tasks are running. @param {TargetRecord} t */
export function greenRunning(t) {
  const g = green(t)
  if (g) Object.assign(g, { pendingCount: 0, runningCount: g.desiredCount })
}

/** @param {TargetRecord} t @param {number} weight percent of production traffic on Green */
export function setEcsWeight(t, weight) {
  const g = green(t)
  if (!g) return
  g.trafficWeight = weight
  blue(t).trafficWeight = 100 - weight
}

/** @param {TargetRecord} t */
export const ecsWeight = t => green(t)?.trafficWeight ?? 0

/** Success: Green is the service's primary task set; Blue is drained (no termination wait here). @param {TargetRecord} t @param {EcsGroup} g */
export function ecsSucceeded(t, g) {
  const g2 = /** @type {TaskSet} */ (green(t))
  Object.assign(g2, { status: 'PRIMARY', trafficWeight: 100 })
  Object.assign(blue(t), { status: 'DRAINING', trafficWeight: 0, desiredCount: 0, pendingCount: 0, runningCount: 0 })
  g.live = { identifer: g2.identifer, targetGroup: g2.targetGroup.name }
}

/** Rollback: production traffic back on Blue, the replacement drained. @param {TargetRecord} t */
export function ecsRestore(t) {
  Object.assign(blue(t), { status: 'PRIMARY', trafficWeight: 100 })
  const g = green(t)
  if (g) Object.assign(g, { status: 'DRAINING', trafficWeight: 0, desiredCount: 0, pendingCount: 0, runningCount: 0 })
}

/** Whether there is anything to roll back: before Install there is no replacement task set. @param {TargetRecord} t */
export const ecsCanRollBack = t => green(t) !== undefined

/** The rollback deployment's target: the same two task sets, as they stood when the deployment failed. @param {TargetRecord} failed @param {number} now */
export function ecsRollbackTarget(failed, now) {
  const t = newTarget({ platform: 'ECS', targetId: failed.targetId, targetArn: failed.targetArn, events: ECS_EVENTS, now })
  t.taskSets = failed.taskSets.map(s => ({ ...s, targetGroup: { ...s.targetGroup } }))
  return t
}

/** @param {import('./state.mjs').DeploymentRecord} dep @param {TargetRecord} t */
export function ecsTargetShape(dep, t) {
  return {
    deploymentTargetType: 'ECSTarget',
    ecsTarget: { ...targetCommon(dep, t), taskSetsInfo: t.taskSets.map(s => ({ ...s, targetGroup: { ...s.targetGroup } })) }
  }
}
