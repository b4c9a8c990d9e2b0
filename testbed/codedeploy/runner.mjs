// @ts-check
// Creates deployments and moves each one's instances through the lifecycle events. One timer per
// deployment: every stepMs all running instances finish their current event together and start
// the next one (events with nothing to run finish at once). New instances start as long as the
// deployment config's minimum of healthy hosts allows, as the service does. When a deployment
// ends it may be rolled back: a new deployment of the group's last successful revision.
// This is the EC2/on-premises runner; BlueGreenRunner (bluegreen.mjs) extends it for ECS and Lambda.
import { planEvent, SUCCESS_DIAGNOSTICS } from './agent.mjs'
import { setInstanceStatus, isFinal, rollbackWanted } from './state.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').DeploymentGroup} DeploymentGroup
 * @typedef {import('./state.mjs').InstanceRecord} InstanceRecord
 * @typedef {import('./state.mjs').ErrorInformation} ErrorInformation
 * @typedef {import('./agent.mjs').EventPlan} EventPlan
 * @typedef {{ group: DeploymentGroup, active: InstanceRecord[], next: number, minHealthy: number, plans: Map<string, EventPlan>, timer?: NodeJS.Timeout }} Run
 * @typedef {{ reason: 'failure' | 'stop' | 'success', autoRollbackEnabled?: boolean | undefined }} FinishContext
 * @typedef {{ revision: any, deploymentConfigName: string, description?: string | undefined, creator: string, fileExistsBehavior?: string | undefined,
 *   ignoreApplicationStopFailures?: boolean | undefined, autoRollbackConfiguration?: any }} LaunchSpec
 */

export const HEALTH_CONSTRAINTS_MESSAGE =
  'The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.'

/** @param {import('./state.mjs').MinimumHealthyHosts | undefined} mhh @param {number} n */
export function minimumHealthy(mhh, n) {
  if (!mhh) return 0
  if (mhh.type === 'MOST_CONCURRENCY') return Math.max(0, n - mhh.value)
  if (mhh.type === 'FLEET_PERCENT') return Math.ceil((n * mhh.value) / 100)
  return mhh.value
}

export class Runner {
  /**
   * @param {{ stepMs: number, store: import('./state.mjs').Store, agent: import('./agent.mjs').Agent, faults: import('./faults.mjs').Faults,
   *   log?: ((line: string) => void) | undefined }} options
   */
  constructor(options) {
    this.options = options
    this.store = options.store
    /** @type {Map<string, Run>} */ this.runs = new Map()
    /** @type {Map<string, ((dep: DeploymentRecord) => void)[]>} */ this.waiters = new Map()
    this.closed = false
  }

  /**
   * Create a deployment (CreateDeployment, or an automatic rollback) and start it.
   * @param {DeploymentGroup} group @param {LaunchSpec} spec @returns {DeploymentRecord}
   */
  launch(group, spec) {
    const config = this.store.config(spec.deploymentConfigName)
    const dep = this.store.createDeployment(group, {
      deploymentConfigName: config.deploymentConfigName,
      minimumHealthyHosts: config.minimumHealthyHosts,
      revision: JSON.parse(JSON.stringify(spec.revision)),
      description: spec.description,
      creator: spec.creator,
      fileExistsBehavior: spec.fileExistsBehavior ?? 'DISALLOW',
      ignoreApplicationStopFailures: spec.ignoreApplicationStopFailures ?? false,
      autoRollbackConfiguration: spec.autoRollbackConfiguration
        ? { enabled: Boolean(spec.autoRollbackConfiguration.enabled), events: [...(spec.autoRollbackConfiguration.events ?? [])] }
        : { ...group.autoRollbackConfiguration, events: [...group.autoRollbackConfiguration.events] }
    })
    this.options.log?.(
      `CodeDeploy ${dep.deploymentId} Created for ${group.applicationName}/${group.deploymentGroupName} by ${spec.creator}`
    )
    this.start(dep, group)
    return dep
  }

  /** @param {DeploymentRecord} dep @param {DeploymentGroup} group */
  start(dep, group) {
    /** @type {Run} */
    const run = { group, active: [], next: 0, minHealthy: 0, plans: new Map() }
    this.runs.set(dep.deploymentId, run)
    const inspection =
      dep.computePlatform === 'Server'
        ? this.options.agent.inspect(dep).catch(err => ({ ok: false, message: String(err) }))
        : Promise.resolve(null)
    this.schedule(dep, run, async () => {
      const result = await inspection
      if (this.closed || isFinal(dep)) return
      dep.inspection = result
      this.begin(dep, run)
    })
  }

  /** @param {DeploymentRecord} dep @param {Run} run @param {() => void} fn */
  schedule(dep, run, fn) {
    run.timer = setTimeout(() => {
      if (!this.closed && !isFinal(dep)) fn()
    }, this.options.stepMs)
  }

  /** @param {DeploymentRecord} dep @param {Run} run */
  begin(dep, run) {
    dep.status = 'InProgress'
    dep.startTime = Date.now()
    if (run.group.lastAttemptedDeployment?.deploymentId === dep.deploymentId) run.group.lastAttemptedDeployment.status = 'InProgress'
    this.options.log?.(`CodeDeploy ${dep.deploymentId} InProgress (${dep.instances.length} instances, ${dep.deploymentConfigName})`)
    const n = dep.instances.length
    if (dep.computePlatform !== 'Server')
      return this.schedule(dep, run, () => this.finish(dep, 'Succeeded', undefined, { reason: 'success' }))
    if (n === 0) {
      return this.finish(
        dep,
        'Failed',
        {
          code: 'NO_INSTANCES',
          message:
            'The deployment failed because no instances were found for your deployment group. Check your deployment group settings to make sure the tags for your Amazon EC2 instances or Auto Scaling groups correctly identify the instances you want to deploy to, and then try again.'
        },
        { reason: 'failure' }
      )
    }
    run.minHealthy = minimumHealthy(dep.minimumHealthyHosts, n)
    if (n - run.minHealthy < 1) {
      this.skipPending(dep, run, Date.now())
      return this.finish(
        dep,
        'Failed',
        {
          code: 'HEALTH_CONSTRAINTS_INVALID',
          message:
            'The deployment failed because the minimum number of healthy instances cannot be maintained: the revision cannot be deployed within the instance health constraints specified.'
        },
        { reason: 'failure' }
      )
    }
    this.tick(dep, run)
  }

  /** @param {DeploymentRecord} dep @param {Run} run */
  tick(dep, run) {
    const now = Date.now()
    const still = []
    for (const inst of run.active) {
      this.completeEvent(dep, run, inst, now)
      if (inst.status === 'InProgress') still.push(inst)
    }
    run.active = still
    const n = dep.instances.length
    while (run.next < n && dep.overview.Pending + dep.overview.Succeeded - 1 >= run.minHealthy) {
      const inst = /** @type {InstanceRecord} */ (dep.instances[run.next++])
      setInstanceStatus(dep, inst, 'InProgress', now)
      this.runEvents(dep, run, inst, now)
      if (inst.status === 'InProgress') run.active.push(inst)
    }
    if (run.active.length > 0) return this.schedule(dep, run, () => this.tick(dep, run))
    if (run.next < n) {
      this.skipPending(dep, run, now)
      return this.finish(dep, 'Failed', { code: 'HEALTH_CONSTRAINTS', message: HEALTH_CONSTRAINTS_MESSAGE }, { reason: 'failure' })
    }
    const ok = dep.overview.Succeeded >= Math.max(run.minHealthy, 1)
    if (ok) this.finish(dep, 'Succeeded', undefined, { reason: 'success' })
    else this.finish(dep, 'Failed', { code: 'HEALTH_CONSTRAINTS', message: HEALTH_CONSTRAINTS_MESSAGE }, { reason: 'failure' })
  }

  /** Finish the running (slow) event of an instance, then move on. @param {DeploymentRecord} dep @param {Run} run @param {InstanceRecord} inst @param {number} now */
  completeEvent(dep, run, inst, now) {
    const plan = run.plans.get(inst.instanceId) ?? { slow: true }
    const ev = inst.events[inst.cursor]
    if (!ev) return
    ev.endTime = now
    inst.lastUpdatedAt = now
    if (plan.failure) {
      ev.status = 'Failed'
      ev.diagnostics = plan.failure
      this.options.log?.(
        `CodeDeploy ${dep.deploymentId} ${inst.instanceId} ${ev.lifecycleEventName} Failed: ${plan.failure.errorCode} ${plan.failure.message}`
      )
      for (const rest of inst.events.slice(inst.cursor + 1)) rest.status = 'Skipped'
      run.plans.delete(inst.instanceId)
      setInstanceStatus(dep, inst, 'Failed', now)
      return
    }
    ev.status = 'Succeeded'
    ev.diagnostics = plan.diagnostics ?? { ...SUCCESS_DIAGNOSTICS }
    inst.cursor += 1
    this.runEvents(dep, run, inst, now)
  }

  /** Start events from the cursor; quick ones finish now, the first slow one stays InProgress. @param {DeploymentRecord} dep @param {Run} run @param {InstanceRecord} inst @param {number} now */
  runEvents(dep, run, inst, now) {
    for (let ev = inst.events[inst.cursor]; ev; ev = inst.events[inst.cursor]) {
      const rule = this.options.faults.takeHookRule(dep, inst.instanceId, ev.lifecycleEventName)
      const plan = planEvent(dep, ev.lifecycleEventName, rule)
      ev.status = 'InProgress'
      ev.startTime = now
      inst.lastUpdatedAt = now
      if (plan.slow) {
        run.plans.set(inst.instanceId, plan)
        return
      }
      ev.status = 'Succeeded'
      ev.endTime = now
      ev.diagnostics = plan.diagnostics ?? { ...SUCCESS_DIAGNOSTICS }
      inst.cursor += 1
    }
    run.plans.delete(inst.instanceId)
    setInstanceStatus(dep, inst, 'Succeeded', now)
  }

  /** @param {DeploymentRecord} dep @param {Run} run @param {number} now */
  skipPending(dep, run, now) {
    for (const inst of dep.instances) {
      if (inst.status !== 'Pending') continue
      for (const ev of inst.events) ev.status = 'Skipped'
      setInstanceStatus(dep, inst, 'Skipped', now)
    }
    run.next = dep.instances.length
  }

  /** StopDeployment: pending instances are skipped, running events fail. @param {DeploymentRecord} dep @param {boolean | undefined} autoRollbackEnabled */
  stop(dep, autoRollbackEnabled) {
    const run = this.runs.get(dep.deploymentId)
    const now = Date.now()
    for (const inst of dep.instances) {
      if (inst.status !== 'InProgress') continue
      const ev = inst.events[inst.cursor]
      if (ev) {
        ev.status = 'Failed'
        ev.endTime = now
        ev.diagnostics = {
          errorCode: 'UnknownError',
          scriptName: '',
          message: 'The deployment was stopped by a user before this lifecycle event finished.',
          logTail: ''
        }
      }
      for (const rest of inst.events.slice(inst.cursor + 1)) rest.status = 'Skipped'
      setInstanceStatus(dep, inst, 'Failed', now)
    }
    if (run) {
      this.skipPending(dep, run, now)
      this.finish(
        dep,
        'Stopped',
        { code: 'MANUAL_STOP', message: 'The deployment was stopped by a user.' },
        { reason: 'stop', autoRollbackEnabled }
      )
    }
  }

  /**
   * @param {DeploymentRecord} dep @param {'Succeeded' | 'Failed' | 'Stopped'} status
   * @param {ErrorInformation | undefined} errorInformation @param {FinishContext} ctx
   */
  finish(dep, status, errorInformation, ctx) {
    const run = this.runs.get(dep.deploymentId)
    if (!run || isFinal(dep)) return
    clearTimeout(run.timer)
    this.runs.delete(dep.deploymentId)
    const now = Date.now()
    const group = run.group
    dep.completeTime = now
    dep.startTime ??= now
    dep.errorInformation = errorInformation
    if (group.activeDeploymentId === dep.deploymentId) delete group.activeDeploymentId
    group.lastAttemptedDeployment = { deploymentId: dep.deploymentId, status, endTime: now, createTime: dep.createTime }
    if (status === 'Succeeded') {
      group.lastSuccessfulDeployment = { deploymentId: dep.deploymentId, status, endTime: now, createTime: dep.createTime }
      group.lastSuccessfulRevision = { deploymentId: dep.deploymentId, revision: dep.revision, inspection: dep.inspection }
    }
    this.options.faults.releaseDeployment(dep.deploymentId)
    if (rollbackWanted(dep, ctx)) this.rollBack(dep, group, ctx) // sets rollbackInfo, may start a rollback deployment
    dep.status = status
    this.options.log?.(`CodeDeploy ${dep.deploymentId} ${status}${errorInformation ? ` (${errorInformation.code})` : ''}`)
    for (const resolve of this.waiters.get(dep.deploymentId) ?? []) resolve(dep)
    this.waiters.delete(dep.deploymentId)
  }

  /**
   * Automatic rollback of an EC2/on-premises deployment: a new deployment (creator codeDeployRollback)
   * of the group's last successful revision; without one, nothing is rolled back.
   * @param {DeploymentRecord} dep @param {DeploymentGroup} group @param {FinishContext} ctx
   */
  rollBack(dep, group, ctx) {
    const last = group.lastSuccessfulRevision
    if (!last) {
      dep.rollbackInfo = {
        rollbackMessage:
          'Automatic rollback was not performed because there is no previous successful deployment in the deployment group to roll back to.'
      }
      return
    }
    const rollback = this.launch(group, {
      revision: last.revision,
      deploymentConfigName: dep.deploymentConfigName,
      creator: 'codeDeployRollback',
      fileExistsBehavior: dep.fileExistsBehavior
    })
    rollback.rollbackInfo = { rollbackTriggeringDeploymentId: dep.deploymentId }
    dep.rollbackInfo = {
      rollbackDeploymentId: rollback.deploymentId,
      rollbackMessage: `Deployment ${dep.deploymentId} ${ctx.reason === 'stop' ? 'was stopped' : 'failed'}; CodeDeploy started rollback deployment ${rollback.deploymentId} to the last successful revision (deployment ${last.deploymentId}).`
    }
  }

  /**
   * An Auto Scaling scale-out: CodeDeploy deploys the group's last successful revision (by its
   * eTag and version, as it was recorded) to the new instances, as a deployment created by
   * `autoscaling`. Without a successful revision there is nothing to deploy.
   * @param {DeploymentGroup} group @returns {DeploymentRecord}
   */
  scaleOut(group) {
    const last = group.lastSuccessfulRevision
    if (!last) throw new Error(`testbed: deployment group ${group.deploymentGroupName} has no successful revision to scale out with`)
    return this.launch(group, { revision: last.revision, deploymentConfigName: group.deploymentConfigName, creator: 'autoscaling' })
  }

  /** @param {DeploymentRecord} dep @returns {Promise<DeploymentRecord>} */
  whenFinal(dep) {
    if (isFinal(dep)) return Promise.resolve(dep)
    return new Promise(resolve => {
      const list = this.waiters.get(dep.deploymentId) ?? []
      list.push(resolve)
      this.waiters.set(dep.deploymentId, list)
    })
  }

  shutdown() {
    this.closed = true
    for (const run of this.runs.values()) clearTimeout(run.timer)
    this.runs.clear()
  }
}
