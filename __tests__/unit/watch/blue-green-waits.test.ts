import type { DeploymentInfo } from '@aws-sdk/client-codedeploy'
import { ActionError } from '../../../src/core/errors.js'
import { waitToEnd } from '../../../src/deploy/continue-deployment.js'
import { deploymentHandlers, instanceAt, overviewOf, type Snapshot } from '../../helpers/codedeploy.js'
import { MINUTE, watchSetup, type WatchSetup } from '../../helpers/watch.js'

const ID = 'd-BLUEGREEN'
const STEP = 2000
/** Seven EC2 events of STEP each: the instances are done at 14 s. */
const DONE = 7 * STEP

type Extra = (elapsedMs: number) => Partial<DeploymentInfo>

/** A deployment following `at`, its GetDeployment answers completed by `extra` (blue/green fields). */
function setup(at: (elapsedMs: number) => Snapshot, extra: Extra): WatchSetup {
  return watchSetup(
    clock => {
      const start = clock.now()
      const handlers = deploymentHandlers(clock, at, { deploymentId: ID })
      const get = handlers.GetDeployment!
      return {
        ...handlers,
        GetDeployment: (input, call) => {
          const out = get(input, call) as { deploymentInfo: DeploymentInfo }
          return { deploymentInfo: { ...out.deploymentInfo, ...extra(clock.now() - start) } }
        }
      }
    },
    { deploymentId: ID }
  )
}

const config = (readyAction: 'STOP_DEPLOYMENT' | 'CONTINUE_DEPLOYMENT', readyMinutes: number, terminationMinutes: number) => ({
  deploymentStyle: { deploymentType: 'BLUE_GREEN' as const, deploymentOption: 'WITH_TRAFFIC_CONTROL' as const },
  blueGreenDeploymentConfiguration: {
    deploymentReadyOption: { actionOnTimeout: readyAction, waitTimeInMinutes: readyMinutes },
    terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE' as const, terminationWaitTimeInMinutes: terminationMinutes }
  }
})

/** Two instances installing, then `waiting` (Ready, or the termination wait) until `until`, then Succeeded. */
function timeline(waiting: 'Ready' | 'termination', until: number) {
  return (elapsed: number): Snapshot => {
    const targets = ['i-0001', 'i-0002'].map(id => instanceAt(id, elapsed, { stepMs: STEP }))
    if (elapsed < DONE) return { status: 'InProgress', overview: overviewOf(targets), targets }
    if (elapsed >= until) return { status: 'Succeeded', overview: { Succeeded: 2 }, targets }
    if (waiting === 'Ready') {
      const ready = targets.map(t => ({ ...t, status: 'Ready' }))
      return { status: 'Ready', overview: { Ready: 2 }, targets: ready }
    }
    return { status: 'InProgress', overview: { Succeeded: 2 }, targets }
  }
}

describe('watch: a Ready blue/green deployment', () => {
  test('waiting for a manual reroute (STOP_DEPLOYMENT): ends Ready, says how long CodeDeploy waits and how to continue', async () => {
    const { watch, log, start } = setup(timeline('Ready', 120 * MINUTE), () => config('STOP_DEPLOYMENT', 60, 0))
    const result = await watch()
    expect(result.status).toBe('Ready')
    expect(result.readyWait).toEqual({ minutes: 60, action: 'STOP_DEPLOYMENT', endsAt: new Date(start + DONE + 60 * MINUTE) })
    const note = log.warnings.join('\n')
    expect(note).toContain('CodeDeploy waits 60 minute(s) for that')
    expect(note).toContain('then it stops the deployment')
    expect(note).toContain(`\`command: continue\`, \`deployment-id: ${ID}\``)
  })

  test('rerouted by itself after the wait (CONTINUE_DEPLOYMENT): watched through, the deadline extended by the wait', async () => {
    const { watch, log, start } = setup(timeline('Ready', DONE + 5 * MINUTE), () => config('CONTINUE_DEPLOYMENT', 10, 0))
    // One minute would end in a time-out: the ready wait's 10 minutes are added.
    const result = await watch({ deadline: start + MINUTE })
    expect(result).toMatchObject({ status: 'Succeeded', final: true, timedOut: false })
    expect(log.info).toContain('The time-out is extended by 10 minute(s) for the blue/green wait(s) this step waits through.')
  })
})

describe('watch: the termination wait', () => {
  const started = (elapsed: number): Partial<DeploymentInfo> => ({
    ...config('CONTINUE_DEPLOYMENT', 0, 20),
    instanceTerminationWaitTimeStarted: elapsed >= DONE
  })

  test('ends once traffic has moved, with the time the original instances are terminated', async () => {
    const { watch, log, start, clock } = setup(timeline('termination', DONE + 20 * MINUTE), started)
    const result = await watch()
    expect(result).toMatchObject({ status: 'InProgress', final: false, timedOut: false })
    expect(result.terminationWait).toEqual({ minutes: 20, terminatesAt: new Date(start + DONE + 20 * MINUTE) })
    expect(clock.now() - start).toBeLessThan(DONE + 10_000)
    expect(log.info.join('\n')).toMatch(/they will be terminated at \d{4}-\d\d-\d\d \d\d:\d\d UTC/)
  })

  test('wait-for-termination: waits through it, the deadline extended by it', async () => {
    const { watch, start } = setup(timeline('termination', DONE + 20 * MINUTE), started)
    const result = await watch({ deadline: start + MINUTE, waitForTermination: true })
    expect(result).toMatchObject({ status: 'Succeeded', final: true, timedOut: false })
    expect(result.terminationWait).toBeUndefined()
  })

  test('without the extension the same deadline times out (the case above depends on it)', async () => {
    const { watch, start } = setup(timeline('termination', DONE + 20 * MINUTE), elapsed => ({
      instanceTerminationWaitTimeStarted: elapsed >= DONE
    }))
    // No blue/green settings to read: nothing to extend by.
    const result = await watch({ deadline: start + MINUTE, waitForTermination: true })
    expect(result).toMatchObject({ timedOut: true, final: false })
  })
})

describe('continue: which wait ContinueDeployment ends', () => {
  const info = (status: string, extra: Partial<DeploymentInfo> = {}): DeploymentInfo =>
    ({ deploymentId: ID, status, ...extra }) as DeploymentInfo

  test('Ready: READY_WAIT; InProgress in the termination wait: TERMINATION_WAIT', () => {
    expect(waitToEnd(info('Ready'))).toBe('READY_WAIT')
    expect(waitToEnd(info('InProgress', { instanceTerminationWaitTimeStarted: true }))).toBe('TERMINATION_WAIT')
  })

  test.each([
    ['Succeeded', {}, /has already ended \(Succeeded\)/],
    ['InProgress', {}, /is InProgress and not waiting \(an in-place deployment never waits\)/],
    ['InProgress', { deploymentStyle: { deploymentType: 'BLUE_GREEN' } }, /is InProgress and not waiting: there is nothing to continue/]
  ] as const)('%s %p: refused, naming deployment-id', (status, extra, message) => {
    let error: unknown
    try {
      waitToEnd(info(status, extra as Partial<DeploymentInfo>))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).input).toBe('deployment-id')
    expect((error as ActionError).describe()).toMatch(message)
  })
})
