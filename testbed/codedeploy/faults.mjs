// @ts-check
// Faults on demand: API-level (throttling, 5xx, dropped connections, slow answers, stalls) and
// hook-level (a lifecycle event that fails on an instance or an ECS / Lambda target, with diagnostics).
import { LIFECYCLE_EVENTS } from './state.mjs'
import { ECS_EVENTS, LAMBDA_EVENTS } from './appspec-content.mjs'

/** The lifecycle events of every compute platform. @type {Set<string>} */
const ALL_EVENTS = new Set([...LIFECYCLE_EVENTS, ...ECS_EVENTS, ...LAMBDA_EVENTS])

/**
 * @typedef {object} FaultSpec
 * @property {string} operation e.g. 'GetDeployment', or '*' for any
 * @property {'throttle' | '5xx' | 'reset' | 'delay' | 'lost' | 'stall'} kind throttle: 400 ThrottlingException; 5xx: 500 InternalFailure
 *   (503 ServiceUnavailableException with status: 503); reset: the socket is destroyed before the call is handled;
 *   lost: the call is handled, then the socket is destroyed (the client never hears it worked); delay: answer normally after delayMs;
 *   stall: the request is read and then nothing, ever: no answer, no close (a half-open connection), until the client gives up
 * @property {boolean} [handled] for 'stall': the call is handled first (it takes effect; only the answer never comes)
 * @property {number} [count] how many matching calls are affected (default 1)
 * @property {number} [status] for '5xx': 500 (default) or 503
 * @property {number} [delayMs] for 'delay' (default 1000)
 *
 * @typedef {object} HookRule
 * @property {string} event lifecycle event of any compute platform, e.g. 'ApplicationStart', 'AfterAllowTraffic'
 * @property {string} [instanceId] which instance (ECS / Lambda: the targetId); default the first one that runs the event; '*' for every instance
 * @property {string} [errorCode] default 'ScriptFailed'
 * @property {string} [message] default like the agent's: 'Script at specified location: <script> run as user root failed with exit code 1'
 * @property {string} [logTail]
 * @property {string} [deploymentGroupName] only deployments to this group
 * @property {string} [deploymentId] only this deployment (set on '*' rules once a deployment hits them)
 */

export class Faults {
  constructor() {
    /** @type {FaultSpec[]} */
    this.api = []
    /** @type {HookRule[]} */
    this.hooks = []
  }

  /** @param {FaultSpec} spec */
  injectFault(spec) {
    if (!['throttle', '5xx', 'reset', 'delay', 'lost', 'stall'].includes(spec.kind))
      throw new Error(`testbed: unknown fault kind ${spec.kind}`)
    if (!spec.operation) throw new Error('testbed: injectFault needs an operation (or "*")')
    this.api.push({ ...spec, count: spec.count ?? 1 })
  }

  /** The fault to apply to this call, if any (consumes one count). @param {string} operation @returns {FaultSpec | null} */
  takeApiFault(operation) {
    const i = this.api.findIndex(f => f.operation === '*' || f.operation === operation)
    if (i < 0) return null
    const fault = /** @type {FaultSpec} */ (this.api[i])
    fault.count = (fault.count ?? 1) - 1
    if (fault.count <= 0) this.api.splice(i, 1)
    return fault
  }

  /** @param {HookRule} rule */
  failHook(rule) {
    if (!ALL_EVENTS.has(rule.event)) throw new Error(`testbed: unknown lifecycle event ${rule.event}`)
    this.hooks.push({ ...rule })
  }

  /**
   * The rule that makes this event fail on this instance, if any. A rule is used by one deployment:
   * a single-instance rule is removed when it fires, a '*' rule when its deployment ends.
   * @param {{ deploymentId: string, deploymentGroupName: string }} dep @param {string} instanceId @param {string} event
   * @returns {HookRule | null}
   */
  takeHookRule(dep, instanceId, event) {
    const i = this.hooks.findIndex(
      r =>
        r.event === event &&
        (!r.deploymentGroupName || r.deploymentGroupName === dep.deploymentGroupName) &&
        (!r.deploymentId || r.deploymentId === dep.deploymentId) &&
        (!r.instanceId || r.instanceId === '*' || r.instanceId === instanceId)
    )
    if (i < 0) return null
    const rule = /** @type {HookRule} */ (this.hooks[i])
    if (rule.instanceId === '*') rule.deploymentId = dep.deploymentId
    else this.hooks.splice(i, 1)
    return rule
  }

  /** @param {string} deploymentId */
  releaseDeployment(deploymentId) {
    this.hooks = this.hooks.filter(r => !(r.instanceId === '*' && r.deploymentId === deploymentId))
  }
}
