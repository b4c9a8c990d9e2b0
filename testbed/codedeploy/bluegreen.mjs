// @ts-check
// ECS and Lambda deployments: one target (the ECS service, or the Lambda alias) moved through the
// platform's lifecycle events. Hook events take one step when the AppSpec names a hook function
// (or a failHook rule applies), Install takes one step, AllowTraffic follows the deployment
// config's traffic routing, the rest finish at once. start, stop and rollBack dispatch by compute
// platform: EC2/on-premises deployments go to the Runner this extends, which also keeps the books
// for every platform (launch, finish, waiters, whether to roll back).
import { Runner } from './runner.mjs'
import { isFinal } from './state.mjs'
import { loadAppSpec, parseAppSpec } from './appspec-content.mjs'
import { ruleFailure, installFailure, STOPPED } from './failures.mjs'
import { shiftPlan } from './traffic.mjs'
import { setTargetStatus } from './target-record.mjs'
import * as ecs from './ecs.mjs'
import * as lambda from './lambda.mjs'
import { Ec2BlueGreen } from './ec2-bluegreen.mjs'
import { fail } from './errors.mjs'

/**
 * @typedef {import('./state.mjs').DeploymentRecord} DeploymentRecord
 * @typedef {import('./state.mjs').DeploymentGroup} DeploymentGroup
 * @typedef {import('./state.mjs').ErrorInformation} ErrorInformation
 * @typedef {import('./target-record.mjs').TargetRecord} TargetRecord
 * @typedef {import('./target-record.mjs').EventRecord} EventRecord
 * @typedef {import('./runner.mjs').Run} Run
 * @typedef {import('./runner.mjs').FinishContext} FinishContext
 * @typedef {import('./failures.mjs').Failure} Failure
 * @typedef {{ endsAt: number, steps: { at: number, weight: number }[], failure: Failure | undefined }} Current
 * @typedef {{ target: TargetRecord, hooks: Record<string, string>, taskDefinition: string, rollback: boolean, current?: Current,
 *   terminating?: boolean }} Live terminating: an ECS deployment in its termination wait
 * @typedef {import('./appspec-content.mjs').Loaded | null} Loaded
 */

const PLATFORM = {
  ECS: {
    setWeight: ecs.setEcsWeight,
    weight: ecs.ecsWeight,
    restore: ecs.ecsRestore,
    rollbackTarget: ecs.ecsRollbackTarget,
    rollbackWeight: 0,
    shape: ecs.ecsTargetShape
  },
  Lambda: {
    setWeight: lambda.setLambdaWeight,
    weight: lambda.lambdaWeight,
    restore: lambda.lambdaRestore,
    rollbackTarget: lambda.lambdaRollbackTarget,
    rollbackWeight: 100,
    shape: lambda.lambdaTargetShape
  }
}

export class BlueGreenRunner extends Runner {
  /**
   * @param {ConstructorParameters<typeof Runner>[0]} options
   * @param {{ trafficMinuteMs: number }} extra
   */
  constructor(options, { trafficMinuteMs }) {
    super(options)
    this.trafficMinuteMs = trafficMinuteMs
    /** @type {Map<string, import('./ecs.mjs').EcsGroup>} by deploymentGroupId */ this.ecsGroups = new Map()
    /** @type {Map<string, TargetRecord>} by deploymentId */ this.targets = new Map()
    /** @type {Map<string, TargetRecord>} a rolled-back deployment's target as it stood when it failed, by deploymentId */ this.snapshots =
      new Map()
    /** @type {Set<string>} rollback deployments with no earlier revision to return to */ this.revisionless = new Set()
    /** EC2/on-premises blue/green deployments (groups with blueGreen settings). */ this.ec2BlueGreen = new Ec2BlueGreen(this)
    /** @type {Map<string, () => void>} ECS deployments in their termination wait: ends it now, by deploymentId */ this.terminations =
      new Map()
  }

  /**
   * ContinueDeployment: READY_WAIT reroutes a Ready EC2 blue/green deployment; TERMINATION_WAIT ends
   * a termination wait now (EC2 or ECS). Anything else is not waiting.
   * @param {DeploymentRecord} dep @param {string} waitType
   */
  continueDeployment(dep, waitType) {
    if (dep.computePlatform === 'Server') return this.ec2BlueGreen.continueDeployment(dep, waitType)
    const end = this.terminations.get(dep.deploymentId)
    if (waitType === 'TERMINATION_WAIT' && end) return end()
    fail('DeploymentIsNotInReadyStateException', `The deployment ${dep.deploymentId} is not in a ready state.`)
  }

  /** @override @param {DeploymentRecord} dep @param {DeploymentGroup} group */
  start(dep, group) {
    if (dep.computePlatform === 'Server' && dep.blueGreen && dep.creator !== 'codeDeployRollback')
      return this.ec2BlueGreen.start(dep, group)
    if (dep.computePlatform === 'Server') return super.start(dep, group)
    /** @type {Run} */
    const run = { group, active: [], next: 0, minHealthy: 0, plans: new Map() }
    this.runs.set(dep.deploymentId, run)
    const loading = dep.creator === 'codeDeployRollback' ? Promise.resolve(null) : loadAppSpec(dep.revision, this.options.agent.s3)
    this.schedule(dep, run, async () => {
      const loaded = await loading
      if (!this.closed && !isFinal(dep)) this.beginTarget(dep, run, loaded)
    })
  }

  /** @param {DeploymentRecord} dep @param {Run} run @param {Loaded} loaded */
  beginTarget(dep, run, loaded) {
    const now = Date.now()
    dep.status = 'InProgress'
    dep.startTime = now
    if (run.group.lastAttemptedDeployment?.deploymentId === dep.deploymentId) run.group.lastAttemptedDeployment.status = 'InProgress'
    this.options.log?.(`CodeDeploy ${dep.deploymentId} InProgress (${dep.computePlatform}, ${dep.deploymentConfigName})`)
    /** @type {Live} */
    let live
    if (loaded === null) {
      const from = this.snapshots.get(dep.rollbackInfo?.rollbackTriggeringDeploymentId ?? '')
      if (!from)
        return this.finish(dep, 'Failed', { code: 'INTERNAL_ERROR', message: 'Testbed: nothing to roll back.' }, { reason: 'failure' })
      live = { target: PLATFORM[from.platform].rollbackTarget(from, now), hooks: {}, taskDefinition: '', rollback: true }
    } else {
      if ('error' in loaded) return this.finish(dep, 'Failed', loaded.error, { reason: 'failure' })
      const parsed = parseAppSpec(loaded.text, dep.computePlatform)
      if (!parsed.ok) return this.finish(dep, 'Failed', { code: 'INVALID_REVISION', message: parsed.message }, { reason: 'failure' })
      const { ecs: ecsResource, lambda: fn, hooks } = parsed.appspec
      const target = ecsResource
        ? ecs.newEcsTarget(this.ecsGroupOf(run.group), now)
        : lambda.newLambdaTarget(/** @type {import('./appspec-content.mjs').LambdaResource} */ (fn), now)
      live = { target, hooks, taskDefinition: ecsResource?.taskDefinition ?? '', rollback: false }
    }
    this.targets.set(dep.deploymentId, live.target)
    dep.overview.Pending += 1
    setTargetStatus(dep, live.target, 'InProgress', now)
    this.advance(dep, run, live, now)
  }

  /** @param {DeploymentGroup} group */
  ecsGroupOf(group) {
    const g = this.ecsGroups.get(group.deploymentGroupId)
    if (!g) throw new Error(`testbed: ECS group ${group.deploymentGroupName} was not added with tb.codedeploy.addDeploymentGroup`)
    return g
  }

  /** Run events from the cursor until one needs time, then sleep until it does. @param {DeploymentRecord} dep @param {Run} run @param {Live} live @param {number} now */
  advance(dep, run, live, now) {
    const t = live.target
    for (let ev = t.events[t.cursor]; ev; ev = t.events[t.cursor]) {
      if (ev.status === 'Pending') live.current = this.startEvent(dep, run, live, ev, now)
      const cur = /** @type {Current} */ (live.current)
      while (cur.steps.length > 0 && /** @type {{ at: number }} */ (cur.steps[0]).at <= now) {
        PLATFORM[t.platform].setWeight(t, /** @type {{ weight: number }} */ (cur.steps.shift()).weight)
        t.lastUpdatedAt = now
      }
      if (now < cur.endsAt) {
        const wake = Math.min(cur.endsAt, cur.steps[0]?.at ?? Infinity)
        clearTimeout(run.timer)
        run.timer = setTimeout(() => {
          if (!this.closed && !isFinal(dep)) this.advance(dep, run, live, Date.now())
        }, wake - now)
        return
      }
      if (cur.failure) return this.failEvent(dep, live, ev, cur.failure, now)
      ev.status = 'Succeeded'
      ev.endTime = now
      t.lastUpdatedAt = now
      if (ev.lifecycleEventName === 'Install' && !live.rollback) ecs.greenRunning(t)
      t.cursor += 1
    }
    const b = dep.blueGreen
    if (t.platform === 'ECS' && !live.rollback && b?.terminationAction === 'TERMINATE' && b.terminationMinutes > 0 && !live.terminating) {
      // Production traffic is all on Green; Blue keeps its tasks until the termination wait ends.
      live.terminating = true
      dep.instanceTerminationWaitTimeStarted = true
      const end = () => {
        clearTimeout(run.timer)
        this.terminations.delete(dep.deploymentId)
        if (!this.closed && !isFinal(dep)) this.advance(dep, run, live, Date.now())
      }
      this.terminations.set(dep.deploymentId, end)
      run.timer = setTimeout(end, b.terminationMinutes * this.trafficMinuteMs)
      return
    }
    this.terminations.delete(dep.deploymentId)
    if (t.platform === 'Lambda') lambda.setLambdaWeight(t, 100)
    else if (live.rollback) ecs.ecsRestore(t)
    else ecs.ecsSucceeded(t, this.ecsGroupOf(run.group))
    setTargetStatus(dep, t, 'Succeeded', now)
    this.finish(dep, 'Succeeded', undefined, { reason: 'success' })
  }

  /** @param {DeploymentRecord} dep @param {Run} run @param {Live} live @param {EventRecord} ev @param {number} now @returns {Current} */
  startEvent(dep, run, live, ev, now) {
    const t = live.target
    const event = ev.lifecycleEventName
    const stepMs = this.options.stepMs
    ev.status = 'InProgress'
    ev.startTime = now
    t.lastUpdatedAt = now
    const hook = live.hooks[event]
    const rule = live.rollback ? null : this.options.faults.takeHookRule(dep, t.targetId, event)
    /** @type {Current} */
    const cur = { endsAt: now + (hook ? stepMs : 0), steps: [], failure: undefined }
    if (event === 'Install' && !live.rollback) {
      cur.endsAt = now + stepMs
      const problem = ecs.taskDefinitionProblem(live.taskDefinition)
      if (problem) cur.failure = installFailure(problem)
      else ecs.createGreen(t, this.ecsGroupOf(run.group))
    }
    if (event === 'AllowTraffic') {
      const config = live.rollback ? undefined : this.store.configs.get(dep.deploymentConfigName)?.trafficRoutingConfig
      const plan = shiftPlan(/** @type {any} */ (config), { minuteMs: this.trafficMinuteMs, stepMs })
      cur.steps = plan.steps.map(s => ({ at: now + s.offsetMs, weight: live.rollback ? PLATFORM[t.platform].rollbackWeight : s.weight }))
      cur.endsAt = now + plan.durationMs
    }
    if (rule && !cur.failure) {
      cur.failure = ruleFailure(rule, dep.computePlatform, event, hook)
      // A failure while traffic shifts comes at the first shift after the initial one.
      if (cur.steps.length > 1) cur.endsAt = /** @type {{ at: number }} */ (cur.steps[1]).at
      cur.steps = cur.steps.slice(0, 1)
      cur.endsAt = Math.max(cur.endsAt, now + stepMs)
    }
    return cur
  }

  /** @param {DeploymentRecord} dep @param {Live} live @param {EventRecord} ev @param {Failure} failure @param {number} now */
  failEvent(dep, live, ev, failure, now) {
    const t = live.target
    ev.status = 'Failed'
    ev.endTime = now
    ev.diagnostics = failure.diagnostics
    for (const rest of t.events.slice(t.cursor + 1)) rest.status = 'Skipped'
    setTargetStatus(dep, t, 'Failed', now)
    this.options.log?.(`CodeDeploy ${dep.deploymentId} ${t.targetId} ${ev.lifecycleEventName} Failed: ${failure.diagnostics.message}`)
    this.finish(dep, 'Failed', failure.error, { reason: 'failure' })
  }

  /** StopDeployment: the running event fails, the rest are skipped. @override @param {DeploymentRecord} dep @param {boolean | undefined} autoRollbackEnabled */
  stop(dep, autoRollbackEnabled) {
    if (dep.computePlatform === 'Server') this.ec2BlueGreen.stop(dep)
    this.terminations.delete(dep.deploymentId)
    const t = this.targets.get(dep.deploymentId)
    if (dep.computePlatform !== 'Server' && t && t.status === 'InProgress') {
      const now = Date.now()
      const ev = t.events[t.cursor]
      if (ev) Object.assign(ev, { status: 'Failed', endTime: now, diagnostics: { ...STOPPED } })
      for (const rest of t.events.slice(t.cursor + 1)) rest.status = 'Skipped'
      setTargetStatus(dep, t, 'Failed', now)
    }
    super.stop(dep, autoRollbackEnabled)
  }

  /**
   * Automatic rollback of an ECS or Lambda deployment: traffic goes back to the original task set or
   * version at once, and a rollback deployment (creator codeDeployRollback) records the reroute.
   * Unlike EC2/on-premises it needs no earlier successful deployment: the original is still there.
   * @override @param {DeploymentRecord} dep @param {DeploymentGroup} group @param {FinishContext} ctx
   */
  rollBack(dep, group, ctx) {
    if (dep.computePlatform === 'Server' && dep.blueGreen && !this.ec2BlueGreen.trafficMoved(dep)) {
      dep.rollbackInfo = {
        rollbackMessage:
          'Automatic rollback was not performed because traffic had not been rerouted: production traffic is still on the original instances.'
      }
      return
    }
    if (dep.computePlatform === 'Server') return super.rollBack(dep, group, ctx)
    const t = this.targets.get(dep.deploymentId)
    if (!t || (t.platform === 'ECS' && !ecs.ecsCanRollBack(t))) {
      dep.rollbackInfo = {
        rollbackMessage: 'Automatic rollback was not performed because the deployment ended before it changed anything to roll back.'
      }
      return
    }
    this.snapshots.set(dep.deploymentId, JSON.parse(JSON.stringify(t)))
    PLATFORM[t.platform].restore(t)
    t.lastUpdatedAt = Date.now()
    // The revision to return to: the last successful one, else (a first deployment) the failed one.
    const previous = group.lastSuccessfulRevision?.revision
    const rollback = this.launch(group, {
      revision: previous ?? dep.revision,
      deploymentConfigName: dep.deploymentConfigName,
      creator: 'codeDeployRollback'
    })
    if (!previous) this.revisionless.add(rollback.deploymentId)
    rollback.rollbackInfo = { rollbackTriggeringDeploymentId: dep.deploymentId }
    dep.rollbackInfo = {
      rollbackDeploymentId: rollback.deploymentId,
      rollbackMessage: `Deployment ${dep.deploymentId} ${ctx.reason === 'stop' ? 'was stopped' : 'failed'}; CodeDeploy started rollback deployment ${rollback.deploymentId} to route traffic back to the original ${t.platform === 'ECS' ? 'task set' : 'version'}.`
    }
  }

  /**
   * A rollback with no earlier successful revision carries the failed one: do not let its success
   * make that the group's last successful revision.
   * @override @param {DeploymentRecord} dep @param {'Succeeded' | 'Failed' | 'Stopped'} status
   * @param {ErrorInformation | undefined} errorInformation @param {FinishContext} ctx
   */
  finish(dep, status, errorInformation, ctx) {
    const group = this.runs.get(dep.deploymentId)?.group
    const kept = group?.lastSuccessfulRevision
    super.finish(dep, status, errorInformation, ctx)
    if (!group || !this.revisionless.delete(dep.deploymentId)) return
    if (kept) group.lastSuccessfulRevision = kept
    else delete group.lastSuccessfulRevision
  }

  /** The DeploymentTarget shape of an ECS or Lambda deployment's target, if it has one yet. @param {DeploymentRecord} dep */
  targetShape(dep) {
    const t = this.targets.get(dep.deploymentId)
    return t ? PLATFORM[t.platform].shape(dep, t) : undefined
  }
}
