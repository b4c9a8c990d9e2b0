// @ts-check
// Read operations: applications, deployment groups, deployment configs, deployment targets
// (and the older deployment-instances API over the same data).
import { fail } from './errors.mjs'
import { applicationInfo, deploymentConfigInfo, deploymentGroupInfo, deploymentTarget, instanceSummary } from './shapes.mjs'
import { pageOf } from './paging.mjs'

/**
 * @typedef {import('./state.mjs').Store} Store
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').InstanceRecord} InstanceRecord
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
  if (!Array.isArray(ids) || ids.length === 0) fail(what === 'target' ? 'DeploymentTargetIdRequiredException' : 'InstanceIdRequiredException', `A deployment ${what} ID was not provided.`)
  if (ids.length > BATCH_LIMIT) fail('BatchLimitExceededException', `The maximum number of names or IDs allowed for this request (${BATCH_LIMIT}) was exceeded.`)
  return /** @type {unknown[]} */ (ids)
}

/** @param {DeploymentRecord} dep @param {unknown} id @returns {InstanceRecord} */
function target(dep, id) {
  if (typeof id !== 'string' || !id) fail('DeploymentTargetIdRequiredException', 'A deployment target ID was not provided.')
  const bare = id.startsWith('arn:') ? id.slice(id.lastIndexOf('/') + 1) : id
  return dep.instanceIndex.get(bare) ?? fail('DeploymentTargetDoesNotExistException', `The target ID ${id} does not belong to deployment ${dep.deploymentId}.`)
}

/** @param {{ store: Store }} ctx */
export function readOps({ store }) {
  return {
    /** @param {any} input */
    GetApplication: (input) => ({ application: applicationInfo(store.app(input.applicationName)) }),

    ListApplications: () => ({ applications: [...store.apps.keys()].sort() }),

    /** @param {any} input */
    GetDeploymentGroup: (input) => ({ deploymentGroupInfo: deploymentGroupInfo(store.group(input.applicationName, input.deploymentGroupName)) }),

    /** @param {any} input */
    BatchGetDeploymentGroups(input) {
      store.app(input.applicationName)
      const names = batchIds(input.deploymentGroupNames, 'group')
      const found = []
      const missing = []
      for (const name of names) {
        const g = store.groups.get(`${input.applicationName}\0${name}`)
        if (g) found.push(deploymentGroupInfo(g))
        else missing.push(name)
      }
      return { deploymentGroupsInfo: found, ...(missing.length ? { errorMessage: `Deployment groups not found: ${missing.join(', ')}` } : {}) }
    },

    /** @param {any} input */
    ListDeploymentGroups(input) {
      store.app(input.applicationName)
      const groups = [...store.groups.values()].filter((g) => g.applicationName === input.applicationName).map((g) => g.deploymentGroupName)
      return { applicationName: input.applicationName, deploymentGroups: groups.sort() }
    },

    /** @param {any} input */
    GetDeploymentConfig: (input) => ({ deploymentConfigInfo: deploymentConfigInfo(store.config(input.deploymentConfigName)) }),

    ListDeploymentConfigs: () => ({ deploymentConfigsList: [...store.configs.keys()].sort() }),

    /** @param {any} input */
    ListDeploymentTargets(input) {
      const dep = started(store.deployment(input.deploymentId))
      const filters = input.targetFilters ?? {}
      for (const name of Object.keys(filters)) {
        if (!TARGET_FILTERS.has(name)) fail('InvalidTargetFilterNameException', `The target filter name ${name} is invalid.`)
      }
      const statuses = Array.isArray(filters.TargetStatus) && filters.TargetStatus.length ? new Set(filters.TargetStatus) : null
      const labels = Array.isArray(filters.ServerInstanceLabel) && filters.ServerInstanceLabel.length ? new Set(filters.ServerInstanceLabel) : null
      const { items, nextToken } = pageOf(dep.instances, input.nextToken, (i) => (!statuses || statuses.has(i.status)) && (!labels || labels.has('Blue')), PAGE_SIZE)
      return { targetIds: items.map((i) => i.instanceId), ...(nextToken ? { nextToken } : {}) }
    },

    /** @param {any} input */
    BatchGetDeploymentTargets(input) {
      const dep = store.deployment(input.deploymentId)
      const ids = batchIds(input.targetIds, 'target')
      started(dep)
      return { deploymentTargets: ids.map((id) => deploymentTarget(dep, target(dep, id))) }
    },

    /** @param {any} input */
    GetDeploymentTarget(input) {
      const dep = started(store.deployment(input.deploymentId))
      return { deploymentTarget: deploymentTarget(dep, target(dep, input.targetId)) }
    },

    /** @param {any} input */
    ListDeploymentInstances(input) {
      const dep = started(store.deployment(input.deploymentId))
      const statuses = Array.isArray(input.instanceStatusFilter) && input.instanceStatusFilter.length ? new Set(input.instanceStatusFilter) : null
      const { items, nextToken } = pageOf(dep.instances, input.nextToken, (i) => !statuses || statuses.has(i.status), PAGE_SIZE)
      return { instancesList: items.map((i) => i.instanceId), ...(nextToken ? { nextToken } : {}) }
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
      return { instancesSummary: found, ...(missing.length ? { errorMessage: `Instances not found in deployment ${dep.deploymentId}: ${missing.join(', ')}` } : {}) }
    },

    /** @param {any} input */
    GetDeploymentInstance(input) {
      const dep = started(store.deployment(input.deploymentId))
      if (typeof input.instanceId !== 'string' || !input.instanceId) fail('InstanceIdRequiredException', 'The instance ID was not specified.')
      const bare = input.instanceId.startsWith('arn:') ? input.instanceId.slice(input.instanceId.lastIndexOf('/') + 1) : input.instanceId
      const inst = dep.instanceIndex.get(bare) ?? fail('InstanceDoesNotExistException', `The instance ${input.instanceId} is not part of deployment ${dep.deploymentId}.`)
      return { instanceSummary: instanceSummary(dep, inst) }
    }
  }
}
