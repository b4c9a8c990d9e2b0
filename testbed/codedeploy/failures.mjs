// @ts-check
// How an ECS or Lambda lifecycle event fails: the event's diagnostics and the deployment's
// errorInformation, for failHook rules, a task definition ECS refuses, and StopDeployment.
import { HOOK_EVENTS } from './appspec-content.mjs'

/** @typedef {{ diagnostics: import('./state.mjs').Diagnostics, error: import('./state.mjs').ErrorInformation }} Failure */

export const STOPPED = Object.freeze({
  errorCode: 'UnknownError',
  scriptName: '',
  message: 'The deployment was stopped by a user before this lifecycle event finished.',
  logTail: ''
})

/** Install could not create the replacement task set. @param {string} message @returns {Failure} */
export function installFailure(message) {
  return { diagnostics: { errorCode: 'UnknownError', scriptName: '', message, logTail: '' }, error: { code: 'ECS_UPDATE_ERROR', message } }
}

/**
 * A failHook rule on an ECS or Lambda event. Hook events fail as their Lambda function reporting
 * Failed; Install, AllowTestTraffic and AllowTraffic as the ECS / load balancer / Lambda call failing.
 * @param {import('./faults.mjs').HookRule} rule @param {string} platform @param {string} event @param {string | undefined} hook
 * @returns {Failure}
 */
export function ruleFailure(rule, platform, event, hook) {
  const isHook = (HOOK_EVENTS[platform] ?? []).includes(event)
  const message =
    rule.message ??
    (isHook
      ? `The ${event} hook function ${hook ?? '(none)'} reported a Failed status to CodeDeploy.`
      : `${event} failed (testbed failHook).`)
  const diagnostics = { errorCode: rule.errorCode ?? 'UnknownError', scriptName: hook ?? '', message, logTail: rule.logTail ?? '' }
  if (isHook)
    return {
      diagnostics,
      error: {
        code: 'HOOK_EXECUTION_FAILURE',
        message: `The deployment failed because the ${event} lifecycle event hook${hook ? ` (Lambda function ${hook})` : ''} failed: ${message}`
      }
    }
  const code =
    event === 'Install' ? 'ECS_UPDATE_ERROR' : platform === 'ECS' ? 'ELASTIC_LOAD_BALANCING_INVALID' : 'INVALID_LAMBDA_CONFIGURATION'
  return { diagnostics, error: { code, message } }
}
