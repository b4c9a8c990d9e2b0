// @ts-check
// Records -> CodeDeploy API shapes (timestamps as epoch seconds, optional members left out).
import { ACCOUNT_ID, REGION } from './state.mjs'
import { ecsGroupInfo } from './ecs.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').InstanceRecord} InstanceRecord
 * @typedef {import('./state.mjs').DeploymentGroup} DeploymentGroup
 * @typedef {import('./state.mjs').LastDeployment} LastDeployment
 */

/** EC2/on-premises groups here are in-place; ECS and Lambda deployments are always blue/green. @param {string} platform */
const deploymentStyle = platform =>
  platform === 'Server'
    ? { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' }
    : { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' }

/** A group's or deployment's blue/green waits in the API shape. @param {import('./state.mjs').BlueGreenSettings} b */
export const blueGreenShape = b => ({
  terminateBlueInstancesOnDeploymentSuccess: { action: b.terminationAction, terminationWaitTimeInMinutes: b.terminationMinutes },
  deploymentReadyOption: { actionOnTimeout: b.readyAction, waitTimeInMinutes: b.readyMinutes }
})

/** EC2/on-premises groups with blue/green settings deploy blue/green too. @param {string} platform @param {unknown} blueGreen */
const styleOf = (platform, blueGreen) => (blueGreen ? deploymentStyle('ECS') : deploymentStyle(platform))

/** @param {number | undefined} ms */
const sec = ms => (ms === undefined ? undefined : ms / 1000)

/** Drop undefined members (JSON.stringify would too, but tests compare objects). @template {Record<string, unknown>} T @param {T} o @returns {T} */
function compact(o) {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

/** @param {import('./state.mjs').Application} app */
export function applicationInfo(app) {
  return {
    applicationId: app.applicationId,
    applicationName: app.applicationName,
    createTime: sec(app.createTime),
    linkedToGitHub: false,
    computePlatform: app.computePlatform
  }
}

/** @param {import('./state.mjs').DeploymentConfig} c */
export function deploymentConfigInfo(c) {
  return compact({
    deploymentConfigId: c.deploymentConfigId,
    deploymentConfigName: c.deploymentConfigName,
    minimumHealthyHosts: c.minimumHealthyHosts,
    createTime: sec(c.createTime),
    computePlatform: c.computePlatform,
    trafficRoutingConfig: c.trafficRoutingConfig
  })
}

/** @param {LastDeployment | undefined} d */
const lastDeployment = d =>
  d ? compact({ deploymentId: d.deploymentId, status: d.status, endTime: sec(d.endTime), createTime: sec(d.createTime) }) : undefined

/**
 * EC2/on-premises groups find their instances by tag; ECS and Lambda groups have no EC2 tags, and
 * ECS groups name their service and target groups.
 * @param {DeploymentGroup} g @param {import('./ecs.mjs').EcsGroup | undefined} ecs an ECS group's service
 */
export function deploymentGroupInfo(g, ecs) {
  return compact({
    applicationName: g.applicationName,
    deploymentGroupId: g.deploymentGroupId,
    deploymentGroupName: g.deploymentGroupName,
    deploymentConfigName: g.deploymentConfigName,
    ec2TagFilters: g.computePlatform === 'Server' ? [{ Key: 'codedeploy-group', Value: g.deploymentGroupName, Type: 'KEY_AND_VALUE' }] : [],
    onPremisesInstanceTagFilters: [],
    autoScalingGroups: [],
    serviceRoleArn: g.serviceRoleArn,
    triggerConfigurations: [],
    alarmConfiguration: { enabled: false, ignorePollAlarmFailure: false, alarms: [] },
    autoRollbackConfiguration: { enabled: g.autoRollbackConfiguration.enabled, events: [...g.autoRollbackConfiguration.events] },
    deploymentStyle: styleOf(g.computePlatform, g.blueGreen),
    outdatedInstancesStrategy: 'UPDATE',
    lastSuccessfulDeployment: lastDeployment(g.lastSuccessfulDeployment),
    lastAttemptedDeployment: lastDeployment(g.lastAttemptedDeployment),
    computePlatform: g.computePlatform,
    terminationHookEnabled: false,
    ...(ecs ? ecsGroupInfo(ecs) : {}),
    ...(g.blueGreen ? { blueGreenDeploymentConfiguration: blueGreenShape(g.blueGreen) } : {})
  })
}

/** @param {DeploymentRecord} d */
export function deploymentInfo(d) {
  return compact({
    applicationName: d.applicationName,
    deploymentGroupName: d.deploymentGroupName,
    deploymentConfigName: d.deploymentConfigName,
    deploymentId: d.deploymentId,
    previousRevision: d.previousRevision,
    revision: d.revision,
    status: d.status,
    errorInformation: d.errorInformation ? { ...d.errorInformation } : undefined,
    createTime: sec(d.createTime),
    startTime: sec(d.startTime),
    completeTime: sec(d.completeTime),
    deploymentOverview: { ...d.overview },
    description: d.description,
    creator: d.creator,
    ignoreApplicationStopFailures: d.ignoreApplicationStopFailures,
    autoRollbackConfiguration: { enabled: d.autoRollbackConfiguration.enabled, events: [...d.autoRollbackConfiguration.events] },
    updateOutdatedInstancesOnly: false,
    rollbackInfo: d.rollbackInfo ? { ...d.rollbackInfo } : undefined,
    deploymentStyle: styleOf(d.computePlatform, d.blueGreen),
    instanceTerminationWaitTimeStarted: d.instanceTerminationWaitTimeStarted ?? false,
    blueGreenDeploymentConfiguration: d.blueGreen ? blueGreenShape(d.blueGreen) : undefined,
    fileExistsBehavior: d.fileExistsBehavior,
    deploymentStatusMessages: [],
    computePlatform: d.computePlatform
  })
}

/** @param {InstanceRecord} inst */
function lifecycleEvents(inst) {
  return inst.events.map(e =>
    compact({
      lifecycleEventName: e.lifecycleEventName,
      diagnostics: e.diagnostics ? { ...e.diagnostics } : undefined,
      startTime: sec(e.startTime),
      endTime: sec(e.endTime),
      status: e.status
    })
  )
}

/** @param {string} instanceId */
export const instanceArn = instanceId => `arn:aws:ec2:${REGION}:${ACCOUNT_ID}:instance/${instanceId}`

/** @param {DeploymentRecord} d @param {InstanceRecord} inst */
export function deploymentTarget(d, inst) {
  return {
    deploymentTargetType: 'InstanceTarget',
    instanceTarget: {
      deploymentId: d.deploymentId,
      targetId: inst.instanceId,
      targetArn: instanceArn(inst.instanceId),
      status: inst.status,
      lastUpdatedAt: sec(inst.lastUpdatedAt),
      lifecycleEvents: lifecycleEvents(inst),
      instanceLabel: inst.label ?? 'Blue'
    }
  }
}

/** The older InstanceSummary shape (ListDeploymentInstances / BatchGetDeploymentInstances). @param {DeploymentRecord} d @param {InstanceRecord} inst */
export function instanceSummary(d, inst) {
  return {
    deploymentId: d.deploymentId,
    instanceId: instanceArn(inst.instanceId),
    status: inst.status,
    lastUpdatedAt: sec(inst.lastUpdatedAt),
    lifecycleEvents: lifecycleEvents(inst),
    instanceType: inst.label ?? 'Blue'
  }
}
