// @ts-check
// ECS and Lambda on the wire and in the test API: handlers layered over the EC2/on-premises ones
// (deployment targets, group details, CreateDeployment checks), and the test-facing helpers for
// groups, traffic configs and failHook on the ECS / Lambda lifecycle events.
import { fail } from './errors.mjs'
import { LIFECYCLE_EVENTS } from './state.mjs'
import { checkContentRevision, ECS_EVENTS, LAMBDA_EVENTS } from './appspec-content.mjs'
import { addTrafficConfig } from './traffic.mjs'
import { ecsGroup, ecsGroupInfo } from './ecs.mjs'

/**
 * @typedef {import('./state.mjs').Store} Store
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./bluegreen.mjs').BlueGreenRunner} BlueGreenRunner
 * @typedef {import('./server.mjs').Handlers} Handlers
 */

const TARGET_FILTERS = new Set(['TargetStatus', 'ServerInstanceLabel'])
const BATCH_LIMIT = 25

/** @param {DeploymentRecord} dep */
function started(dep) {
  if (dep.status === 'Created') fail('DeploymentNotStartedException', `The deployment ${dep.deploymentId} has not started.`)
}

/**
 * @param {Handlers} base the EC2/on-premises handlers
 * @param {{ store: Store, runner: BlueGreenRunner }} ctx
 * @returns {Handlers}
 */
export function blueGreenOps(base, { store, runner }) {
  /** @param {string} op @param {any} input */
  const call = (op, input) => /** @type {(input: any) => any} */ (base[op])(input)

  /** @param {DeploymentRecord} dep @param {unknown} id */
  function targetOf(dep, id) {
    if (typeof id !== 'string' || !id) fail('DeploymentTargetIdRequiredException', 'A deployment target ID was not provided.')
    const t = runner.targets.get(dep.deploymentId)
    if (!t || (id !== t.targetId && id !== t.targetArn)) fail('DeploymentTargetDoesNotExistException', `The target ID ${id} does not belong to deployment ${dep.deploymentId}.`)
    return runner.targetShape(dep)
  }

  /** ECS and Lambda groups have no EC2 tags; ECS groups name their service and target groups. @param {any} info */
  function decorate(info) {
    const group = store.groups.get(`${info.applicationName}\0${info.deploymentGroupName}`)
    if (!group || group.computePlatform === 'Server') return info
    info.ec2TagFilters = []
    const ecs = runner.ecsGroups.get(group.deploymentGroupId)
    if (ecs) Object.assign(info, ecsGroupInfo(ecs))
    return info
  }

  return {
    ...base,

    /** @param {any} input */
    CreateDeployment(input) {
      const app = store.app(input.applicationName)
      const group = store.group(input.applicationName, input.deploymentGroupName)
      const configName = input.deploymentConfigName ?? group.deploymentConfigName
      const config = store.config(configName)
      if (config.computePlatform !== app.computePlatform) {
        fail('InvalidDeploymentConfigNameException', `The deployment configuration ${configName} is for the ${config.computePlatform} compute platform; application ${app.applicationName} uses ${app.computePlatform}.`)
      }
      const type = input.revision?.revisionType
      if (app.computePlatform !== 'Server' && (type === 'AppSpecContent' || type === 'String')) checkContentRevision(input.revision)
      return call('CreateDeployment', input)
    },

    /** @param {any} input */
    ListDeploymentTargets(input) {
      const dep = store.deployment(input.deploymentId)
      if (dep.computePlatform === 'Server') return call('ListDeploymentTargets', input)
      started(dep)
      const filters = input.targetFilters ?? {}
      for (const name of Object.keys(filters)) {
        if (!TARGET_FILTERS.has(name)) fail('InvalidTargetFilterNameException', `The target filter name ${name} is invalid.`)
      }
      const statuses = Array.isArray(filters.TargetStatus) && filters.TargetStatus.length ? new Set(filters.TargetStatus) : null
      const t = runner.targets.get(dep.deploymentId)
      return { targetIds: t && (!statuses || statuses.has(t.status)) ? [t.targetId] : [] }
    },

    /** @param {any} input */
    BatchGetDeploymentTargets(input) {
      const dep = store.deployment(input.deploymentId)
      if (dep.computePlatform === 'Server') return call('BatchGetDeploymentTargets', input)
      const ids = input.targetIds
      if (!Array.isArray(ids) || ids.length === 0) fail('DeploymentTargetIdRequiredException', 'A deployment target ID was not provided.')
      if (ids.length > BATCH_LIMIT) fail('BatchLimitExceededException', `The maximum number of names or IDs allowed for this request (${BATCH_LIMIT}) was exceeded.`)
      started(dep)
      return { deploymentTargets: ids.map((/** @type {unknown} */ id) => targetOf(dep, id)) }
    },

    /** @param {any} input */
    GetDeploymentTarget(input) {
      const dep = store.deployment(input.deploymentId)
      if (dep.computePlatform === 'Server') return call('GetDeploymentTarget', input)
      started(dep)
      return { deploymentTarget: targetOf(dep, input.targetId) }
    },

    /** @param {any} input */
    GetDeploymentGroup(input) {
      const out = call('GetDeploymentGroup', input)
      decorate(out.deploymentGroupInfo)
      return out
    },

    /** @param {any} input */
    BatchGetDeploymentGroups(input) {
      const out = call('BatchGetDeploymentGroups', input)
      for (const info of out.deploymentGroupsInfo) decorate(info)
      return out
    }
  }
}

/** @type {Set<string>} */
const BLUE_GREEN_ONLY_EVENTS = new Set([...ECS_EVENTS, ...LAMBDA_EVENTS].filter((e) => !(/** @type {readonly string[]} */ (LIFECYCLE_EVENTS)).includes(e)))

/**
 * The test API's group, config and failHook helpers, aware of ECS and Lambda.
 * @param {{ store: Store, faults: import('./faults.mjs').Faults, runner: BlueGreenRunner }} ctx
 */
export function blueGreenApi({ store, faults, runner }) {
  return {
    /** @param {import('./index.mjs').GroupSpec} spec */
    addDeploymentGroup(spec) {
      const app = store.apps.get(spec.applicationName)
      const platform = app?.computePlatform ?? 'Server'
      if (platform !== 'Server' && spec.instances !== undefined) throw new Error('testbed: instances are only for EC2/on-premises deployment groups')
      if (platform !== 'ECS' && (spec.ecsService || spec.targetGroups)) throw new Error('testbed: ecsService and targetGroups are only for ECS deployment groups')
      const configPlatform = spec.deploymentConfigName ? store.configs.get(spec.deploymentConfigName)?.computePlatform : undefined
      if (configPlatform && configPlatform !== platform) throw new Error(`testbed: ${spec.deploymentConfigName} is a ${configPlatform} config, not ${platform}`)
      const ecs = platform === 'ECS' ? ecsGroup(spec, spec.name) : undefined
      const g = store.addDeploymentGroup(spec)
      if (ecs) runner.ecsGroups.set(g.deploymentGroupId, ecs)
      return { deploymentGroupId: g.deploymentGroupId, deploymentGroupName: g.deploymentGroupName, instances: platform === 'Server' ? [...g.instances] : [] }
    },

    /** @param {import('./index.mjs').ConfigSpec} spec */
    addDeploymentConfig(spec) {
      if ('trafficRoutingConfig' in spec) addTrafficConfig(store, spec)
      else store.addDeploymentConfig(spec)
    },

    /** @param {import('./faults.mjs').HookRule} rule */
    failHook(rule) {
      if (BLUE_GREEN_ONLY_EVENTS.has(rule.event)) faults.hooks.push({ ...rule })
      else faults.failHook(rule)
    }
  }
}
