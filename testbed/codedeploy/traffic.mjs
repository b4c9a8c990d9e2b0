// @ts-check
// Traffic routing for ECS and Lambda deployments: the predefined CodeDeployDefault.ECS* /
// Lambda* configs, custom ones, and the weight schedule of the AllowTraffic event.
// Minutes are simulated: one configured minute lasts `minuteMs` of real time.
import crypto from 'node:crypto'

/**
 * @typedef {{ type: 'AllAtOnce' } | { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: number, canaryInterval: number } }
 *   | { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: number, linearInterval: number } }} TrafficRoutingConfig
 * @typedef {{ offsetMs: number, weight: number }} ShiftStep weight: percent of traffic on the replacement (Green / target version)
 */

/** @param {number} percentage @param {number} interval @returns {TrafficRoutingConfig} */
const canary = (percentage, interval) => ({
  type: 'TimeBasedCanary',
  timeBasedCanary: { canaryPercentage: percentage, canaryInterval: interval }
})
/** @param {number} percentage @param {number} interval @returns {TrafficRoutingConfig} */
const linear = (percentage, interval) => ({
  type: 'TimeBasedLinear',
  timeBasedLinear: { linearPercentage: percentage, linearInterval: interval }
})

/** The service's predefined traffic-shifting configs (names exactly as AWS spells them, "Every1Minutes" included). */
export const PREDEFINED_TRAFFIC_CONFIGS = /** @type {const} */ ([
  ['CodeDeployDefault.ECSAllAtOnce', 'ECS', { type: 'AllAtOnce' }],
  ['CodeDeployDefault.ECSLinear10PercentEvery1Minutes', 'ECS', linear(10, 1)],
  ['CodeDeployDefault.ECSLinear10PercentEvery3Minutes', 'ECS', linear(10, 3)],
  ['CodeDeployDefault.ECSCanary10Percent5Minutes', 'ECS', canary(10, 5)],
  ['CodeDeployDefault.ECSCanary10Percent15Minutes', 'ECS', canary(10, 15)],
  ['CodeDeployDefault.LambdaAllAtOnce', 'Lambda', { type: 'AllAtOnce' }],
  ['CodeDeployDefault.LambdaCanary10Percent5Minutes', 'Lambda', canary(10, 5)],
  ['CodeDeployDefault.LambdaCanary10Percent10Minutes', 'Lambda', canary(10, 10)],
  ['CodeDeployDefault.LambdaCanary10Percent15Minutes', 'Lambda', canary(10, 15)],
  ['CodeDeployDefault.LambdaCanary10Percent30Minutes', 'Lambda', canary(10, 30)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery1Minute', 'Lambda', linear(10, 1)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery2Minutes', 'Lambda', linear(10, 2)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery3Minutes', 'Lambda', linear(10, 3)],
  ['CodeDeployDefault.LambdaLinear10PercentEvery10Minutes', 'Lambda', linear(10, 10)]
])

/** Add the predefined configs the store does not have yet. @param {import('./state.mjs').Store} store */
export function registerTrafficConfigs(store) {
  const created = Date.UTC(2017, 10, 28) // ECS and Lambda configs are younger than the Server ones
  for (const [name, computePlatform, trafficRoutingConfig] of PREDEFINED_TRAFFIC_CONFIGS) {
    if (store.configs.has(name)) continue
    store.configs.set(name, {
      deploymentConfigId: crypto.randomUUID(),
      deploymentConfigName: name,
      computePlatform,
      createTime: created,
      trafficRoutingConfig
    })
  }
}

/** @param {unknown} n */
const positiveInt = n => typeof n === 'number' && Number.isInteger(n) && n >= 1

/**
 * A custom ECS or Lambda config (CreateDeploymentConfig with trafficRoutingConfig).
 * @param {import('./state.mjs').Store} store
 * @param {{ name: string, computePlatform: string, trafficRoutingConfig: TrafficRoutingConfig }} spec
 */
export function addTrafficConfig(store, { name, computePlatform, trafficRoutingConfig }) {
  if (store.configs.has(name)) throw new Error(`testbed: deployment config ${name} already exists`)
  if (computePlatform !== 'ECS' && computePlatform !== 'Lambda')
    throw new Error('testbed: a trafficRoutingConfig needs computePlatform ECS or Lambda')
  const c = /** @type {any} */ (trafficRoutingConfig)
  const ok =
    c?.type === 'AllAtOnce' ||
    (c?.type === 'TimeBasedCanary' &&
      positiveInt(c.timeBasedCanary?.canaryInterval) &&
      positiveInt(c.timeBasedCanary?.canaryPercentage) &&
      c.timeBasedCanary.canaryPercentage <= 99) ||
    (c?.type === 'TimeBasedLinear' &&
      positiveInt(c.timeBasedLinear?.linearInterval) &&
      positiveInt(c.timeBasedLinear?.linearPercentage) &&
      c.timeBasedLinear.linearPercentage <= 99)
  if (!ok) throw new Error(`testbed: invalid trafficRoutingConfig ${JSON.stringify(trafficRoutingConfig)}`)
  const config = {
    deploymentConfigId: crypto.randomUUID(),
    deploymentConfigName: name,
    computePlatform,
    createTime: Date.now(),
    trafficRoutingConfig: JSON.parse(JSON.stringify(c))
  }
  store.configs.set(name, config)
  return config
}

/**
 * When AllowTraffic moves traffic, and where to. Canary: the canary share at once, everything after
 * the interval. Linear: one more share every interval until 100. AllAtOnce: everything at once, and
 * the event still takes one step (the listener update is not instant).
 * @param {TrafficRoutingConfig | undefined} config
 * @param {{ minuteMs: number, stepMs: number }} timing
 * @returns {{ steps: ShiftStep[], durationMs: number }}
 */
export function shiftPlan(config, { minuteMs, stepMs }) {
  if (config?.type === 'TimeBasedCanary') {
    const { canaryPercentage, canaryInterval } = config.timeBasedCanary
    const end = canaryInterval * minuteMs
    return {
      steps: [
        { offsetMs: 0, weight: canaryPercentage },
        { offsetMs: end, weight: 100 }
      ],
      durationMs: end
    }
  }
  if (config?.type === 'TimeBasedLinear') {
    const { linearPercentage, linearInterval } = config.timeBasedLinear
    /** @type {ShiftStep[]} */
    const steps = []
    for (let k = 0, weight = 0; weight < 100; k++) {
      weight = Math.min(100, (k + 1) * linearPercentage)
      steps.push({ offsetMs: k * linearInterval * minuteMs, weight })
    }
    return { steps, durationMs: /** @type {ShiftStep} */ (steps.at(-1)).offsetMs }
  }
  return { steps: [{ offsetMs: 0, weight: 100 }], durationMs: stepMs }
}
