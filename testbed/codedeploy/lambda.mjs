// @ts-check
// AWS Lambda traffic shifting: the LambdaTarget is the function alias named in the AppSpec, whose
// weight moves from CurrentVersion to TargetVersion during AllowTraffic.
import { ACCOUNT_ID, REGION } from './state.mjs'
import { LAMBDA_EVENTS } from './appspec-content.mjs'
import { newTarget, targetCommon } from './target-record.mjs'

/**
 * @typedef {import('./target-record.mjs').TargetRecord} TargetRecord
 * @typedef {import('./target-record.mjs').LambdaInfo} LambdaInfo
 * @typedef {import('./appspec-content.mjs').LambdaResource} LambdaResource
 */

/** @param {string} name @param {string} alias @param {LambdaInfo} info @param {number} now @returns {TargetRecord} */
function lambdaTarget(name, alias, info, now) {
  const t = newTarget({
    platform: 'Lambda',
    targetId: `${name}:${alias}`,
    targetArn: name.startsWith('arn:') ? `${name}:${alias}` : `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:${name}:${alias}`,
    events: LAMBDA_EVENTS,
    now
  })
  t.lambda = info
  return t
}

/** @param {LambdaResource} r @param {number} now */
export function newLambdaTarget(r, now) {
  return lambdaTarget(
    r.name,
    r.alias,
    {
      functionName: r.name,
      functionAlias: r.alias,
      currentVersion: r.currentVersion,
      targetVersion: r.targetVersion,
      targetVersionWeight: 0
    },
    now
  )
}

/** @param {TargetRecord} t */
const info = t => /** @type {LambdaInfo} */ (t.lambda)

/** @param {TargetRecord} t @param {number} weight percent of the alias's traffic on TargetVersion */
export function setLambdaWeight(t, weight) {
  info(t).targetVersionWeight = weight
}

/** @param {TargetRecord} t */
export const lambdaWeight = t => info(t).targetVersionWeight

/** @param {TargetRecord} t */
export function lambdaSucceeded(t) {
  info(t).targetVersionWeight = 100
}

/** Rollback: the alias points at CurrentVersion again. @param {TargetRecord} t */
export function lambdaRestore(t) {
  info(t).targetVersionWeight = 0
}

/**
 * The rollback deployment shifts the alias from the failed TargetVersion back to the original
 * CurrentVersion, starting from the weights the failed deployment left.
 * @param {TargetRecord} failed @param {number} now
 */
export function lambdaRollbackTarget(failed, now) {
  const f = info(failed)
  return lambdaTarget(
    f.functionName,
    f.functionAlias,
    {
      functionName: f.functionName,
      functionAlias: f.functionAlias,
      currentVersion: f.targetVersion,
      targetVersion: f.currentVersion,
      targetVersionWeight: 100 - f.targetVersionWeight
    },
    now
  )
}

/** @param {import('./state.mjs').DeploymentRecord} dep @param {TargetRecord} t */
export function lambdaTargetShape(dep, t) {
  return { deploymentTargetType: 'LambdaTarget', lambdaTarget: { ...targetCommon(dep, t), lambdaFunctionInfo: { ...info(t) } } }
}
