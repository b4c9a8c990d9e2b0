// @ts-check
// EC2/on-premises blue/green deployments (a Server group given `blueGreen` settings). The group's
// instances are the original (Blue) environment; each deployment gets a replacement (Green) fleet
// of as many new instances. Green runs ApplicationStop .. ValidateService, then stands Ready (target
// status Ready, overview Ready). With deploymentReadyOption STOP_DEPLOYMENT the deployment is
// `Ready` until ContinueDeployment READY_WAIT (or it is stopped when waitTimeInMinutes runs out);
// CONTINUE_DEPLOYMENT reroutes after waitTimeInMinutes (status stays InProgress). Rerouting runs
// BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic on Green, then BeforeBlockTraffic,
// BlockTraffic, AfterBlockTraffic on Blue. Then the termination wait: InProgress with
// instanceTerminationWaitTimeStarted true and every target Succeeded, for terminationWaitTimeInMinutes
// (or until ContinueDeployment TERMINATION_WAIT); then Succeeded, and Green is the group's fleet.
// One event per stepMs for each running instance; one configured minute is trafficMinuteMs.
import crypto from 'node:crypto'
import { planEvent, SUCCESS_DIAGNOSTICS } from './agent.mjs'
import { fail } from './errors.mjs'
import { setInstanceStatus, isFinal } from './state.mjs'
import { HEALTH_CONSTRAINTS_MESSAGE } from './runner.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').DeploymentGroup} DeploymentGroup
 * @typedef {import('./state.mjs').InstanceRecord} InstanceRecord
 * @typedef {import('./runner.mjs').Run} Run
 * @typedef {{ phase: 'install' | 'ready' | 'reroute' | 'termination', green: InstanceRecord[], blue: InstanceRecord[], run: Run }} Live
 */

export const REPLACEMENT_EVENTS = [
  'ApplicationStop',
  'DownloadBundle',
  'BeforeInstall',
  'Install',
  'AfterInstall',
  'ApplicationStart',
  'ValidateService',
  'BeforeAllowTraffic',
  'AllowTraffic',
  'AfterAllowTraffic'
]
export const ORIGINAL_EVENTS = ['BeforeBlockTraffic', 'BlockTraffic', 'AfterBlockTraffic']
const FIRST_TRAFFIC_EVENT = REPLACEMENT_EVENTS.indexOf('BeforeAllowTraffic')

/** @param {string} instanceId @param {string[]} events @param {'Blue' | 'Green'} label @param {number} now @returns {InstanceRecord} */
const record = (instanceId, events, label, now) => ({
  instanceId,
  label,
  status: 'Pending',
  lastUpdatedAt: now,
  cursor: 0,
  events: events.map(lifecycleEventName => ({ lifecycleEventName, status: /** @type {const} */ ('Pending') }))
})

/** @param {DeploymentRecord} dep @param {InstanceRecord} inst @param {any} status @param {number} now */
const setStatus = (dep, inst, status, now) => setInstanceStatus(dep, inst, status, now)

export class Ec2BlueGreen {
  /** @param {import('./bluegreen.mjs').BlueGreenRunner} runner */
  constructor(runner) {
    this.runner = runner
    /** @type {Map<string, Live>} */ this.live = new Map()
  }

  /** @param {DeploymentRecord} dep @param {DeploymentGroup} group */
  start(dep, group) {
    const runner = this.runner
    const now = Date.now()
    const green = group.instances.map(() =>
      record(`i-${crypto.randomBytes(9).toString('hex').slice(0, 17)}`, REPLACEMENT_EVENTS, 'Green', now)
    )
    const blue = group.instances.map(id => record(id, ORIGINAL_EVENTS, 'Blue', now))
    dep.instances = [...green, ...blue]
    dep.instanceIndex = new Map(dep.instances.map(i => [i.instanceId, i]))
    dep.overview = { Pending: dep.instances.length, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 }
    /** @type {Run} */
    const run = { group, active: [], next: 0, minHealthy: 0, plans: new Map() }
    runner.runs.set(dep.deploymentId, run)
    this.live.set(dep.deploymentId, { phase: 'install', green, blue, run })
    const inspection = runner.options.agent.inspect(dep).catch(err => ({ ok: false, message: String(err) }))
    runner.schedule(dep, run, async () => {
      dep.inspection = await inspection
      if (runner.closed || isFinal(dep)) return
      dep.status = 'InProgress'
      dep.startTime = Date.now()
      if (group.lastAttemptedDeployment?.deploymentId === dep.deploymentId) group.lastAttemptedDeployment.status = 'InProgress'
      runner.options.log?.(`CodeDeploy ${dep.deploymentId} InProgress (blue/green: ${green.length} replacement instances)`)
      for (const inst of green) setStatus(dep, inst, 'InProgress', Date.now())
      this.tick(dep)
    })
  }

  /** @param {DeploymentRecord} dep */
  tick(dep) {
    const st = /** @type {Live} */ (this.live.get(dep.deploymentId))
    const now = Date.now()
    for (const inst of [...st.green, ...st.blue]) {
      if (inst.status !== 'InProgress') continue
      if (!this.step(dep, st, inst, now)) return
    }
    if (st.phase === 'install' && st.green.every(i => i.status === 'Ready')) return this.ready(dep, st)
    if (st.phase === 'reroute' && st.green.every(i => i.status === 'Succeeded')) {
      if (st.blue.every(i => i.status === 'Pending')) for (const inst of st.blue) setStatus(dep, inst, 'InProgress', now)
      else if (st.blue.every(i => i.status === 'Succeeded')) return this.terminationWait(dep, st)
    }
    this.runner.schedule(dep, st.run, () => this.tick(dep))
  }

  /** One event on one instance; false when it failed the deployment. @param {DeploymentRecord} dep @param {Live} st @param {InstanceRecord} inst @param {number} now */
  step(dep, st, inst, now) {
    const ev = inst.events[inst.cursor]
    if (!ev) return true
    const rule = this.runner.options.faults.takeHookRule(dep, inst.instanceId, ev.lifecycleEventName)
    const plan = planEvent(dep, ev.lifecycleEventName, rule)
    ev.startTime = now - this.runner.options.stepMs
    ev.endTime = now
    inst.lastUpdatedAt = now
    if (plan.failure) {
      ev.status = 'Failed'
      ev.diagnostics = plan.failure
      for (const rest of inst.events.slice(inst.cursor + 1)) rest.status = 'Skipped'
      setStatus(dep, inst, 'Failed', now)
      for (const other of [...st.green, ...st.blue]) {
        if (other.status !== 'Pending' && other.status !== 'InProgress' && other.status !== 'Ready') continue
        for (const rest of other.events.slice(other.cursor)) rest.status = 'Skipped'
        setStatus(dep, other, 'Skipped', now)
      }
      this.runner.finish(dep, 'Failed', { code: 'HEALTH_CONSTRAINTS', message: HEALTH_CONSTRAINTS_MESSAGE }, { reason: 'failure' })
      return false
    }
    ev.status = 'Succeeded'
    ev.diagnostics = plan.diagnostics ?? { ...SUCCESS_DIAGNOSTICS }
    inst.cursor += 1
    if (inst.label === 'Green' && inst.cursor === FIRST_TRAFFIC_EVENT) setStatus(dep, inst, 'Ready', now)
    else if (inst.cursor === inst.events.length) setStatus(dep, inst, 'Succeeded', now)
    return true
  }

  /** The replacement is ready: wait for a reroute (STOP_DEPLOYMENT), or reroute after the wait. @param {DeploymentRecord} dep @param {Live} st */
  ready(dep, st) {
    const b = /** @type {import('./state.mjs').BlueGreenSettings} */ (dep.blueGreen)
    const waitMs = b.readyMinutes * this.runner.trafficMinuteMs
    if (b.readyAction === 'CONTINUE_DEPLOYMENT' && waitMs === 0) return this.reroute(dep, st)
    st.phase = 'ready'
    if (b.readyAction === 'STOP_DEPLOYMENT') dep.status = /** @type {any} */ ('Ready')
    this.runner.options.log?.(`CodeDeploy ${dep.deploymentId} Ready: waiting ${b.readyMinutes} min for traffic to be rerouted`)
    st.run.timer = setTimeout(() => {
      if (this.runner.closed || isFinal(dep)) return
      if (b.readyAction === 'CONTINUE_DEPLOYMENT') return this.reroute(dep, st)
      // Nobody rerouted: the replacement never takes traffic, the original keeps it.
      const now = Date.now()
      for (const inst of [...st.green, ...st.blue]) {
        if (inst.status !== 'Ready' && inst.status !== 'Pending') continue
        for (const rest of inst.events.slice(inst.cursor)) rest.status = 'Skipped'
        setStatus(dep, inst, 'Skipped', now)
      }
      this.runner.finish(
        dep,
        'Stopped',
        {
          code: 'TIMEOUT',
          message:
            'The deployment was stopped because traffic was not rerouted to the replacement instances within the specified wait time.'
        },
        { reason: 'stop', autoRollbackEnabled: false }
      )
    }, waitMs)
  }

  /** @param {DeploymentRecord} dep @param {Live} st */
  reroute(dep, st) {
    clearTimeout(st.run.timer)
    st.phase = 'reroute'
    dep.status = 'InProgress'
    for (const inst of st.green) if (inst.status === 'Ready') setStatus(dep, inst, 'InProgress', Date.now())
    this.runner.schedule(dep, st.run, () => this.tick(dep))
  }

  /** @param {DeploymentRecord} dep @param {Live} st */
  terminationWait(dep, st) {
    const b = /** @type {import('./state.mjs').BlueGreenSettings} */ (dep.blueGreen)
    if (b.terminationAction !== 'TERMINATE' || b.terminationMinutes === 0) return this.succeed(dep, st)
    st.phase = 'termination'
    dep.instanceTerminationWaitTimeStarted = true
    this.runner.options.log?.(`CodeDeploy ${dep.deploymentId} termination wait: ${b.terminationMinutes} min`)
    st.run.timer = setTimeout(() => {
      if (!this.runner.closed && !isFinal(dep)) this.succeed(dep, st)
    }, b.terminationMinutes * this.runner.trafficMinuteMs)
  }

  /** @param {DeploymentRecord} dep @param {Live} st */
  succeed(dep, st) {
    // The replacement fleet is the group's from now on; the original instances are gone.
    st.run.group.instances = st.green.map(i => i.instanceId)
    this.runner.finish(dep, 'Succeeded', undefined, { reason: 'success' })
  }

  /** ContinueDeployment. @param {DeploymentRecord} dep @param {string} waitType */
  continueDeployment(dep, waitType) {
    const st = this.live.get(dep.deploymentId)
    if (waitType === 'READY_WAIT') {
      if (!st || st.phase !== 'ready')
        fail('DeploymentIsNotInReadyStateException', `The deployment ${dep.deploymentId} is not in a ready state.`)
      return this.reroute(dep, st)
    }
    if (!st || st.phase !== 'termination')
      fail(
        'DeploymentIsNotInReadyStateException',
        `The deployment ${dep.deploymentId} is not waiting for its original instances to be terminated.`
      )
    clearTimeout(st.run.timer)
    this.succeed(dep, st)
  }

  /** Before Runner.stop: Ready instances stop like running ones. @param {DeploymentRecord} dep */
  stop(dep) {
    const st = this.live.get(dep.deploymentId)
    if (!st) return
    for (const inst of st.green) if (inst.status === 'Ready') setStatus(dep, inst, 'InProgress', Date.now())
  }

  /** Traffic moved yet? (a rollback has something to undo) @param {DeploymentRecord} dep */
  trafficMoved(dep) {
    const phase = this.live.get(dep.deploymentId)?.phase
    return phase === 'reroute' || phase === 'termination'
  }
}
