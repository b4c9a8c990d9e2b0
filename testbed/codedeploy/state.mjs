// @ts-check
// The simulator's data: applications, deployment groups, deployment configs, deployments.
// Times are kept in epoch milliseconds; shapes.mjs turns them into the wire format.
import crypto from 'node:crypto'
import { fail } from './errors.mjs'

export const REGION = 'us-east-1'
export const ACCOUNT_ID = '123456789000'
export const LIFECYCLE_EVENTS = /** @type {const} */ ([
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService'
])
export const FINAL_STATUSES = new Set(['Succeeded', 'Failed', 'Stopped'])

/**
 * @typedef {'Pending' | 'InProgress' | 'Succeeded' | 'Failed' | 'Skipped'} Status
 * @typedef {{ errorCode: string, scriptName: string, message: string, logTail: string }} Diagnostics
 * @typedef {{ lifecycleEventName: string, status: Status, startTime?: number, endTime?: number, diagnostics?: Diagnostics }} LifecycleEventRecord
 * @typedef {{ instanceId: string, status: Status | 'Ready', lastUpdatedAt: number, events: LifecycleEventRecord[], cursor: number,
 *   label?: 'Blue' | 'Green' }} InstanceRecord label: blue/green deployments, original (Blue) or replacement (Green) instance
 * @typedef {{ Pending: number, InProgress: number, Succeeded: number, Failed: number, Skipped: number, Ready: number }} Overview
 * @typedef {{ type: string, value: number }} MinimumHealthyHosts
 * @typedef {{ deploymentConfigId: string, deploymentConfigName: string, minimumHealthyHosts?: MinimumHealthyHosts, computePlatform: string, createTime: number, trafficRoutingConfig?: object }} DeploymentConfig
 * @typedef {{ applicationId: string, applicationName: string, computePlatform: string, createTime: number }} Application
 * @typedef {{ enabled: boolean, events: string[] }} AutoRollbackConfiguration
 * @typedef {{ deploymentId: string, status: string, endTime?: number, createTime: number }} LastDeployment
 * @typedef {{ revision: any, inspection: any, deploymentId: string }} LastRevision
 * @typedef {{ readyAction: 'CONTINUE_DEPLOYMENT' | 'STOP_DEPLOYMENT', readyMinutes: number, terminationAction: 'TERMINATE' | 'KEEP_ALIVE',
 *   terminationMinutes: number }} BlueGreenSettings the group's blueGreenDeploymentConfiguration (waits in configured minutes)
 * @typedef {{ revision: any, description?: string, registerTime?: number, firstUsedTime?: number, lastUsedTime?: number,
 *   deploymentGroups: Set<string> }} RevisionRecord an application revision, registered or deployed
 * @typedef {{ applicationName: string, deploymentGroupName: string, deploymentGroupId: string, deploymentConfigName: string,
 *   computePlatform: string, instances: string[], autoRollbackConfiguration: AutoRollbackConfiguration, serviceRoleArn: string,
 *   activeDeploymentId?: string, lastSuccessfulDeployment?: LastDeployment, lastAttemptedDeployment?: LastDeployment,
 *   lastSuccessfulRevision?: LastRevision, blueGreen?: BlueGreenSettings }} DeploymentGroup
 * @typedef {{ code: string, message: string }} ErrorInformation
 * @typedef {{ rollbackDeploymentId?: string, rollbackTriggeringDeploymentId?: string, rollbackMessage?: string }} RollbackInfo
 * @typedef {object} DeploymentRecord
 * @property {string} deploymentId
 * @property {string} applicationName
 * @property {string} deploymentGroupName
 * @property {string} deploymentGroupId
 * @property {string} deploymentConfigName
 * @property {MinimumHealthyHosts | undefined} minimumHealthyHosts
 * @property {string} computePlatform
 * @property {any} revision the revision exactly as given to CreateDeployment
 * @property {any} previousRevision
 * @property {'Created' | 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped'} status
 * @property {ErrorInformation | undefined} errorInformation
 * @property {number} createTime
 * @property {number | undefined} startTime
 * @property {number | undefined} completeTime
 * @property {string | undefined} description
 * @property {string} creator 'user' or 'codeDeployRollback'
 * @property {string} fileExistsBehavior
 * @property {boolean} ignoreApplicationStopFailures
 * @property {AutoRollbackConfiguration} autoRollbackConfiguration
 * @property {RollbackInfo | undefined} rollbackInfo
 * @property {Overview} overview
 * @property {InstanceRecord[]} instances in deployment order
 * @property {Map<string, InstanceRecord>} instanceIndex
 * @property {string} archiveDir where the simulated agent "unpacks" the bundle
 * @property {any} inspection what the simulated agent found in the bundle (agent.mjs)
 * @property {LastRevision | undefined} previousRevisionInfo the group's last successful revision at creation
 * @property {BlueGreenSettings | undefined} [blueGreen] a blue/green deployment's waits, copied from its group
 * @property {boolean} [instanceTerminationWaitTimeStarted] traffic moved; the original environment waits to be terminated
 */

/** @type {Record<string, MinimumHealthyHosts>} */
const SERVER_CONFIGS = {
  'CodeDeployDefault.OneAtATime': { type: 'MOST_CONCURRENCY', value: 1 },
  'CodeDeployDefault.HalfAtATime': { type: 'FLEET_PERCENT', value: 50 },
  'CodeDeployDefault.AllAtOnce': { type: 'HOST_COUNT', value: 0 }
}

/** @type {Record<string, string>} */
const DEFAULT_CONFIG = {
  Server: 'CodeDeployDefault.OneAtATime',
  ECS: 'CodeDeployDefault.ECSAllAtOnce',
  Lambda: 'CodeDeployDefault.LambdaAllAtOnce'
}

const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'

export class Store {
  constructor() {
    const created = Date.UTC(2014, 10, 12) // the predefined configs are old
    /** @type {Map<string, Application>} */ this.apps = new Map()
    /** @type {Map<string, DeploymentGroup>} key: application + '\0' + group */ this.groups = new Map()
    /** @type {Map<string, DeploymentConfig>} */ this.configs = new Map()
    /** @type {Map<string, DeploymentRecord>} in creation order */ this.deployments = new Map()
    /** @type {Map<string, Map<string, RevisionRecord>>} application -> revision key -> record */ this.revisions = new Map()
    for (const [name, mhh] of Object.entries(SERVER_CONFIGS)) {
      this.configs.set(name, {
        deploymentConfigId: crypto.randomUUID(),
        deploymentConfigName: name,
        minimumHealthyHosts: mhh,
        computePlatform: 'Server',
        createTime: created
      })
    }
    for (const [name, platform] of [
      ['CodeDeployDefault.ECSAllAtOnce', 'ECS'],
      ['CodeDeployDefault.LambdaAllAtOnce', 'Lambda']
    ]) {
      this.configs.set(/** @type {string} */ (name), {
        deploymentConfigId: crypto.randomUUID(),
        deploymentConfigName: /** @type {string} */ (name),
        computePlatform: /** @type {string} */ (platform),
        createTime: created,
        trafficRoutingConfig: { type: 'AllAtOnce' }
      })
    }
  }

  /** @param {{ name: string, computePlatform?: string }} spec @returns {Application} */
  addApplication({ name, computePlatform = 'Server' }) {
    if (this.apps.has(name)) throw new Error(`testbed: application ${name} already exists`)
    const app = { applicationId: crypto.randomUUID(), applicationName: name, computePlatform, createTime: Date.now() }
    this.apps.set(name, app)
    return app
  }

  /**
   * @param {{ applicationName: string, name: string, instances?: number | string[], deploymentConfigName?: string,
   *   autoRollback?: boolean | { enabled: boolean, events?: string[] }, serviceRoleArn?: string, blueGreen?: Partial<BlueGreenSettings> }} spec
   * @returns {DeploymentGroup}
   */
  addDeploymentGroup(spec) {
    const app = this.apps.get(spec.applicationName)
    if (!app) throw new Error(`testbed: add application ${spec.applicationName} first`)
    const key = `${spec.applicationName}\0${spec.name}`
    if (this.groups.has(key)) throw new Error(`testbed: deployment group ${spec.name} already exists`)
    const configName = spec.deploymentConfigName ?? DEFAULT_CONFIG[app.computePlatform] ?? 'CodeDeployDefault.OneAtATime'
    if (!this.configs.has(configName)) throw new Error(`testbed: unknown deployment config ${configName}`)
    const count = spec.instances ?? 3
    const instances = Array.isArray(count) ? [...count] : Array.from({ length: count }, (_, i) => `i-${String(i + 1).padStart(16, '0')}`)
    if (new Set(instances).size !== instances.length) throw new Error('testbed: instance ids must be unique')
    const rollback = spec.autoRollback ?? false
    /** @type {AutoRollbackConfiguration} */
    const autoRollbackConfiguration =
      typeof rollback === 'boolean'
        ? { enabled: rollback, events: rollback ? ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] : [] }
        : { enabled: rollback.enabled, events: rollback.events ?? ['DEPLOYMENT_FAILURE'] }
    /** @type {DeploymentGroup} */
    const group = {
      applicationName: spec.applicationName,
      deploymentGroupName: spec.name,
      deploymentGroupId: crypto.randomUUID(),
      deploymentConfigName: configName,
      computePlatform: app.computePlatform,
      instances,
      autoRollbackConfiguration,
      serviceRoleArn: spec.serviceRoleArn ?? `arn:aws:iam::${ACCOUNT_ID}:role/CodeDeployServiceRole`
    }
    // ECS groups are always blue/green; EC2/on-premises ones when given blueGreen settings.
    if (spec.blueGreen || app.computePlatform === 'ECS') {
      group.blueGreen = {
        readyAction: spec.blueGreen?.readyAction ?? 'CONTINUE_DEPLOYMENT',
        readyMinutes: spec.blueGreen?.readyMinutes ?? 0,
        terminationAction: spec.blueGreen?.terminationAction ?? 'TERMINATE',
        terminationMinutes: spec.blueGreen?.terminationMinutes ?? 0
      }
    }
    this.groups.set(key, group)
    return group
  }

  /** @param {{ name: string, minimumHealthyHosts: MinimumHealthyHosts }} spec */
  addDeploymentConfig({ name, minimumHealthyHosts }) {
    if (this.configs.has(name)) throw new Error(`testbed: deployment config ${name} already exists`)
    const config = {
      deploymentConfigId: crypto.randomUUID(),
      deploymentConfigName: name,
      minimumHealthyHosts: { ...minimumHealthyHosts },
      computePlatform: 'Server',
      createTime: Date.now()
    }
    this.configs.set(name, config)
    return config
  }

  /** @param {unknown} name @returns {Application} */
  app(name) {
    if (typeof name !== 'string' || !name)
      fail('ApplicationNameRequiredException', 'The minimum number of required application names was not specified.')
    return this.apps.get(name) ?? fail('ApplicationDoesNotExistException', `No application found for name: ${name}`)
  }

  /** @param {unknown} applicationName @param {unknown} name @returns {DeploymentGroup} */
  group(applicationName, name) {
    this.app(applicationName)
    if (typeof name !== 'string' || !name) fail('DeploymentGroupNameRequiredException', 'The deployment group name was not specified.')
    return (
      this.groups.get(`${applicationName}\0${name}`) ??
      fail('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${name}`)
    )
  }

  /** @param {unknown} name @returns {DeploymentConfig} */
  config(name) {
    if (typeof name !== 'string' || !name)
      fail('DeploymentConfigNameRequiredException', 'The deployment configuration name was not specified.')
    return this.configs.get(name) ?? fail('DeploymentConfigDoesNotExistException', `No deployment configuration found for name: ${name}`)
  }

  /** @param {unknown} id @returns {DeploymentRecord} */
  deployment(id) {
    if (typeof id !== 'string' || !id) fail('DeploymentIdRequiredException', 'At least one deployment ID must be specified.')
    if (!/^d-[A-Z0-9]{9}$/.test(id)) fail('InvalidDeploymentIdException', `Deployment id ${id} is not in a valid format.`)
    return this.deployments.get(id) ?? fail('DeploymentDoesNotExistException', `The deployment ${id} could not be found.`)
  }

  newDeploymentId() {
    for (;;) {
      const bytes = crypto.randomBytes(9)
      const id = 'd-' + Array.from(bytes, b => ID_CHARS[b % ID_CHARS.length]).join('')
      if (!this.deployments.has(id)) return id
    }
  }

  /**
   * @param {DeploymentGroup} group
   * @param {Omit<DeploymentRecord, 'deploymentId' | 'applicationName' | 'deploymentGroupName' | 'deploymentGroupId' | 'computePlatform' | 'status' | 'errorInformation' | 'createTime' | 'startTime' | 'completeTime' | 'rollbackInfo' | 'overview' | 'instances' | 'instanceIndex' | 'archiveDir' | 'inspection' | 'previousRevision' | 'previousRevisionInfo'>} fields
   * @returns {DeploymentRecord}
   */
  createDeployment(group, fields) {
    const now = Date.now()
    const deploymentId = this.newDeploymentId()
    const instanceIds = group.computePlatform === 'Server' ? group.instances : []
    const instances = instanceIds.map(instanceId => ({
      instanceId,
      status: /** @type {Status} */ ('Pending'),
      lastUpdatedAt: now,
      cursor: 0,
      events: LIFECYCLE_EVENTS.map(lifecycleEventName => ({ lifecycleEventName, status: /** @type {Status} */ ('Pending') }))
    }))
    /** @type {DeploymentRecord} */
    const dep = {
      ...fields,
      deploymentId,
      applicationName: group.applicationName,
      deploymentGroupName: group.deploymentGroupName,
      deploymentGroupId: group.deploymentGroupId,
      computePlatform: group.computePlatform,
      previousRevision: group.lastSuccessfulRevision?.revision,
      previousRevisionInfo: group.lastSuccessfulRevision,
      status: 'Created',
      errorInformation: undefined,
      createTime: now,
      startTime: undefined,
      completeTime: undefined,
      rollbackInfo: undefined,
      overview: { Pending: instances.length, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 },
      instances,
      instanceIndex: new Map(instances.map(i => [i.instanceId, i])),
      archiveDir: `/opt/codedeploy-agent/deployment-root/${group.deploymentGroupId}/${deploymentId}/deployment-archive`,
      inspection: undefined,
      ...(group.blueGreen ? { blueGreen: { ...group.blueGreen }, instanceTerminationWaitTimeStarted: false } : {})
    }
    this.deployments.set(deploymentId, dep)
    group.activeDeploymentId = deploymentId
    group.lastAttemptedDeployment = { deploymentId, status: 'Created', createTime: now }
    return dep
  }
}

/** @param {DeploymentRecord} dep @param {InstanceRecord} inst @param {Status} status @param {number} now */
export function setInstanceStatus(dep, inst, status, now) {
  if (inst.status === status) return
  dep.overview[inst.status] -= 1
  dep.overview[status] += 1
  inst.status = status
  inst.lastUpdatedAt = now
}

/** @param {DeploymentRecord} dep */
export const isFinal = dep => FINAL_STATUSES.has(dep.status)

/**
 * Whether an ended deployment is rolled back: on failure, or on StopDeployment (its own
 * autoRollbackEnabled first, else the group's settings); never a success or a rollback itself.
 * @param {any} dep @param {{ reason: string, autoRollbackEnabled?: boolean | undefined }} ctx
 */
export function rollbackWanted(dep, ctx) {
  if (ctx.reason === 'success' || dep.creator === 'codeDeployRollback') return false
  const cfg = dep.autoRollbackConfiguration
  return ctx.reason === 'stop'
    ? (ctx.autoRollbackEnabled ?? (cfg.enabled && cfg.events.includes('DEPLOYMENT_STOP_ON_REQUEST')))
    : cfg.enabled && cfg.events.includes('DEPLOYMENT_FAILURE')
}
