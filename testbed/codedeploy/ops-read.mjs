// @ts-check
// Read operations, every compute platform: applications, deployment groups, deployment configs,
// deployment targets (and the older deployment-instances API, EC2/on-premises only, over the same
// data). The deployment-target operations dispatch by the deployment's compute platform: an
// EC2/on-premises deployment's targets are its instances; an ECS or Lambda deployment has one
// target (the service, or the function alias), kept by the runner once the deployment starts.
import { fail } from './errors.mjs'
import { applicationInfo, deploymentConfigInfo, deploymentGroupInfo, deploymentTarget, instanceSummary } from './shapes.mjs'
import { pageOf } from './paging.mjs'

/**
 * @typedef {import('./state.mjs').Store} Store
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').DeploymentGroup} DeploymentGroup
 * @typedef {import('./bluegreen.mjs').BlueGreenRunner} BlueGreenRunner
 */

const TARGET_FILTERS = new Set(['TargetStatus', 'ServerInstanceLabel'])
const BATCH_LIMIT = 25
const PAGE_SIZE = 100

/** @param {DeploymentRecord} dep */
function started(dep) {
  if (dep.status === 'Created') fail('DeploymentNotStartedException', `The deployment ${dep.deploymentId} has not started.`)
  return dep
}

/** @param {unknown} ids @param {string} what */
function batchIds(ids, what) {
  if (!Array.isArray(ids) || ids.length === 0)
    fail(
      what === 'target' ? 'DeploymentTargetIdRequiredException' : 'InstanceIdRequiredException',
      `A deployment ${what} ID was not provided.`
    )
  if (ids.length > BATCH_LIMIT)
    fail('BatchLimitExceededException', `The maximum number of names or IDs allowed for this request (${BATCH_LIMIT}) was exceeded.`)
  return /** @type {unknown[]} */ (ids)
}

/** @param {{ store: Store, runner: BlueGreenRunner }} ctx */
export function readOps({ store, runner }) {
  /** A group's DeploymentGroupInfo, with its ECS service and target groups for an ECS group. @param {DeploymentGroup} g */
  const groupInfo = g => deploymentGroupInfo(g, runner.ecsGroups.get(g.deploymentGroupId))

  /**
   * One target of a deployment, in the DeploymentTarget shape: an EC2/on-premises instance (by id
   * or ARN), or the ECS / Lambda deployment's one target (by targetId or targetArn).
   * @param {DeploymentRecord} dep @param {unknown} id
   */
  function targetOf(dep, id) {
    if (typeof id !== 'string' || !id) fail('DeploymentTargetIdRequiredException', 'A deployment target ID was not provided.')
    if (dep.computePlatform === 'Server') {
      const inst = dep.instanceIndex.get(id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id)
      if (inst) return deploymentTarget(dep, inst)
    } else {
      const t = runner.targets.get(dep.deploymentId)
      if (t && (id === t.targetId || id === t.targetArn)) return runner.targetShape(dep)
    }
    return fail('DeploymentTargetDoesNotExistException', `The target ID ${id} does not belong to deployment ${dep.deploymentId}.`)
  }

  return {
    /** @param {any} input */
    GetApplication: input => ({ application: applicationInfo(store.app(input.applicationName)) }),

    ListApplications: () => ({ applications: [...store.apps.keys()].sort() }),

    /** @param {any} input */
    GetDeploymentGroup: input => ({ deploymentGroupInfo: groupInfo(store.group(input.applicationName, input.deploymentGroupName)) }),

    /** @param {any} input */
    BatchGetDeploymentGroups(input) {
      store.app(input.applicationName)
      const names = batchIds(input.deploymentGroupNames, 'group')
      const found = []
      const missing = []
      for (const name of names) {
        const g = store.groups.get(`${input.applicationName}\0${name}`)
        if (g) found.push(groupInfo(g))
        else missing.push(name)
      }
      return {
        deploymentGroupsInfo: found,
        ...(missing.length ? { errorMessage: `Deployment groups not found: ${missing.join(', ')}` } : {})
      }
    },

    /** @param {any} input */
    ListDeploymentGroups(input) {
      store.app(input.applicationName)
      const groups = [...store.groups.values()].filter(g => g.applicationName === input.applicationName).map(g => g.deploymentGroupName)
      return { applicationName: input.applicationName, deploymentGroups: groups.sort() }
    },

    /** @param {any} input */
    GetDeploymentConfig: input => ({ deploymentConfigInfo: deploymentConfigInfo(store.config(input.deploymentConfigName)) }),

    ListDeploymentConfigs: () => ({ deploymentConfigsList: [...store.configs.keys()].sort() }),

    /** @param {any} input */
    ListDeploymentTargets(input) {
      const dep = started(store.deployment(input.deploymentId))
      const filters = input.targetFilters ?? {}
      for (const name of Object.keys(filters)) {
        if (!TARGET_FILTERS.has(name)) fail('InvalidTargetFilterNameException', `The target filter name ${name} is invalid.`)
      }
      const statuses = Array.isArray(filters.TargetStatus) && filters.TargetStatus.length ? new Set(filters.TargetStatus) : null
      if (dep.computePlatform !== 'Server') {
        // ECS and Lambda: the one target, once the deployment has it (no instance labels, one page).
        const t = runner.targets.get(dep.deploymentId)
        return { targetIds: t && (!statuses || statuses.has(t.status)) ? [t.targetId] : [] }
      }
      const labels =
        Array.isArray(filters.ServerInstanceLabel) && filters.ServerInstanceLabel.length ? new Set(filters.ServerInstanceLabel) : null
      const { items, nextToken } = pageOf(
        dep.instances,
        input.nextToken,
        i => (!statuses || statuses.has(i.status)) && (!labels || labels.has(i.label ?? 'Blue')),
        PAGE_SIZE
      )
      return { targetIds: items.map(i => i.instanceId), ...(nextToken ? { nextToken } : {}) }
    },

    /** @param {any} input */
    BatchGetDeploymentTargets(input) {
      const dep = store.deployment(input.deploymentId)
      const ids = batchIds(input.targetIds, 'target')
      started(dep)
      return { deploymentTargets: ids.map(id => targetOf(dep, id)) }
    },

    /** @param {any} input */
    GetDeploymentTarget(input) {
      const dep = started(store.deployment(input.deploymentId))
      return { deploymentTarget: targetOf(dep, input.targetId) }
    },

    /** @param {any} input */
    ListDeploymentInstances(input) {
      const dep = started(store.deployment(input.deploymentId))
      const statuses =
        Array.isArray(input.instanceStatusFilter) && input.instanceStatusFilter.length ? new Set(input.instanceStatusFilter) : null
      const { items, nextToken } = pageOf(dep.instances, input.nextToken, i => !statuses || statuses.has(i.status), PAGE_SIZE)
      return { instancesList: items.map(i => i.instanceId), ...(nextToken ? { nextToken } : {}) }
    },

    /** @param {any} input */
    BatchGetDeploymentInstances(input) {
      const dep = store.deployment(input.deploymentId)
      const ids = batchIds(input.instanceIds, 'instance')
      started(dep)
      const found = []
      const missing = []
      for (const id of ids) {
        const bare = typeof id === 'string' && id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id
        const inst = typeof bare === 'string' ? dep.instanceIndex.get(bare) : undefined
        if (inst) found.push(instanceSummary(dep, inst))
        else missing.push(String(id))
      }
      return {
        instancesSummary: found,
        ...(missing.length ? { errorMessage: `Instances not found in deployment ${dep.deploymentId}: ${missing.join(', ')}` } : {})
      }
    },

    /** @param {any} input */
    GetDeploymentInstance(input) {
      const dep = started(store.deployment(input.deploymentId))
      if (typeof input.instanceId !== 'string' || !input.instanceId)
        fail('InstanceIdRequiredException', 'The instance ID was not specified.')
      const bare = input.instanceId.startsWith('arn:') ? input.instanceId.slice(input.instanceId.lastIndexOf('/') + 1) : input.instanceId
      const inst =
        dep.instanceIndex.get(bare) ??
        fail('InstanceDoesNotExistException', `The instance ${input.instanceId} is not part of deployment ${dep.deploymentId}.`)
      return { instanceSummary: instanceSummary(dep, inst) }
    }
  }
}
