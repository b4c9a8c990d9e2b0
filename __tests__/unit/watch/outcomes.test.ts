/**
 * How a watch ends beyond plain success and failure: an automatic rollback followed to its end,
 * a blue/green deployment waiting for a reroute, a deployment that succeeded with failed instances.
 */
import { deploymentHandlers, instanceAt, overviewOf, type FakeTarget, type Snapshot } from '../../helpers/codedeploy.js'
import { deployments, MINUTE, watchSetup } from '../../helpers/watch.js'

const ID = 'd-TESTDEPLOY'
const RB = 'd-ROLLBACK1'

/** Two instances; ApplicationStart fails on the first; the deployment ends at 10.5 s. */
function failing(options: { rollback?: 'linked' | 'late' | 'none'; autoRollback?: boolean } = {}) {
  return (elapsed: number): Snapshot => {
    const targets = [
      instanceAt('i-0000', elapsed, { stepMs: 1500, failAt: 'ApplicationStart', logTail: '[stderr]boom' }),
      instanceAt('i-0001', elapsed, { stepMs: 1500 })
    ]
    const done = elapsed >= 10_500
    const linked = options.rollback === 'linked' || (options.rollback === 'late' && elapsed >= 12_000)
    return {
      status: done ? 'Failed' : 'InProgress',
      overview: overviewOf(targets),
      targets,
      ...(options.autoRollback ? { autoRollback: true } : {}),
      ...(done ? { errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'too many instances failed' } } : {}),
      ...(done && linked ? { rollbackDeploymentId: RB } : {}),
      ...(done && options.rollback === 'none'
        ? { rollbackMessage: 'Automatic rollback was not performed because there is no previous successful deployment.' }
        : {})
    }
  }
}

/** The rollback: Created until 11 s, then both instances redeploy the old revision, 1 s an event. */
function rollback(options: { failAt?: string; never?: boolean } = {}) {
  return (elapsed: number): Snapshot => {
    if (elapsed < 11_000) return { status: 'Created', overview: { Pending: 2 } }
    const targets: FakeTarget[] = ['i-0000', 'i-0001'].map((id, k) =>
      instanceAt(id, options.never ? 0 : elapsed, {
        offsetMs: 11_000,
        stepMs: 1000,
        ...(k === 1 && options.failAt ? { failAt: options.failAt } : {})
      })
    )
    const done = targets.every(t => ['Succeeded', 'Failed'].includes(t.status))
    const failed = targets.some(t => t.status === 'Failed')
    return { status: done ? (failed ? 'Failed' : 'Succeeded') : 'InProgress', overview: overviewOf(targets), targets }
  }
}

describe('watchDeployment: an automatic rollback', () => {
  test('is reported and followed to its end, its progress marked [rollback]', async () => {
    const { cd, clock, log, start, watch } = watchSetup(clock =>
      deployments(clock, { [ID]: failing({ rollback: 'linked' }), [RB]: rollback() })
    )
    const result = await watch()
    expect(result).toMatchObject({ deploymentId: ID, status: 'Failed', final: true, rollbackDeploymentId: RB })
    expect(result.rollback).toMatchObject({ deploymentId: RB, status: 'Succeeded', final: true, timedOut: false, cancelled: false })
    expect(result.rollback?.instances.map(i => i.status)).toEqual(['Succeeded', 'Succeeded'])
    // Followed until its own end (18 s), noticed within 5 s.
    expect(clock.now() - start).toBeGreaterThanOrEqual(18_000)
    expect(clock.now() - start).toBeLessThanOrEqual(23_000)

    const note = log.info.indexOf(
      `CodeDeploy started rollback deployment ${RB} to restore the last successful revision; following it to its end.`
    )
    expect(note).toBeGreaterThan(log.info.indexOf(`Deployment ${ID} Failed (instances: Succeeded 1, Failed 1)`))
    expect(log.info.filter(l => l.startsWith('[rollback]   i-0001  ValidateService  Succeeded'))).toHaveLength(1)
    expect(log.info.at(-1)).toBe(`[rollback] Deployment ${RB} Succeeded (instances: Succeeded 2)`)
    // The failed deployment was read once more after it ended, not polled on.
    const gets = cd.inputs('GetDeployment').map(i => i['deploymentId'])
    expect(gets.lastIndexOf(ID)).toBeLessThan(gets.indexOf(RB))
    expect(gets.filter(id => id === RB).length).toBeGreaterThan(2)
  })

  test('a rollback that fails too is in the result with its own failure', async () => {
    const { log, watch } = watchSetup(clock =>
      deployments(clock, { [ID]: failing({ rollback: 'linked' }), [RB]: rollback({ failAt: 'BeforeInstall' }) })
    )
    const result = await watch()
    expect(result.rollback).toMatchObject({ status: 'Failed', final: true })
    expect(result.rollback?.failures).toEqual([expect.objectContaining({ instanceId: 'i-0001', event: 'BeforeInstall' })])
    expect(log.errors.map(e => e.title)).toEqual(['i-0000 failed ApplicationStart', '[rollback] i-0001 failed BeforeInstall'])
  })

  test('linked a moment after the failure: read again briefly when the settings say a rollback follows', async () => {
    const { cd, clock, watch } = watchSetup(clock =>
      deployments(clock, { [ID]: failing({ rollback: 'late', autoRollback: true }), [RB]: rollback() })
    )
    const result = await watch()
    expect(result.rollbackDeploymentId).toBe(RB)
    expect(result.rollback?.status).toBe('Succeeded')
    expect(clock.sleeps).toContain(2000)
    expect(cd.inputs('GetDeployment').filter(i => i['deploymentId'] === ID).length).toBeGreaterThanOrEqual(2)
  })

  test('no rollback configured: the end is not waited on, nothing more is read', async () => {
    const { cd, clock, watch } = watchSetup(clock => deploymentHandlers(clock, failing(), { deploymentId: ID }))
    let endedAt = 0
    let seenAt = 0
    cd.wrap('GetDeployment', get => (input, call) => {
      const out = get(input, call) as { deploymentInfo: { status: string } }
      if (out.deploymentInfo.status === 'Failed' && !endedAt) [endedAt, seenAt] = [cd.calls.length, clock.now()]
      return out
    })
    const result = await watch()
    expect(result).toMatchObject({ status: 'Failed', rollbackDeploymentId: undefined, rollback: undefined })
    expect(cd.calls.slice(endedAt).map(c => c.command)).not.toContain('GetDeployment')
    expect(clock.now()).toBe(seenAt)
  })

  test('CodeDeploy could not roll back: its reason is kept, nothing is followed', async () => {
    const { cd, watch } = watchSetup(clock =>
      deploymentHandlers(clock, failing({ rollback: 'none', autoRollback: true }), { deploymentId: ID })
    )
    const result = await watch()
    expect(result).toMatchObject({
      rollbackDeploymentId: undefined,
      rollback: undefined,
      rollbackMessage: expect.stringMatching(/no previous successful deployment/) as unknown as string
    })
    expect(new Set(cd.inputs('GetDeployment').map(i => i['deploymentId']))).toEqual(new Set([ID]))
  })

  test('still rolling back at the deadline: the failure is final, the rollback timed out', async () => {
    const { start, watch } = watchSetup(clock =>
      deployments(clock, { [ID]: failing({ rollback: 'linked' }), [RB]: rollback({ never: true }) })
    )
    const result = await watch({ deadline: start + MINUTE })
    expect(result).toMatchObject({ status: 'Failed', final: true, timedOut: false })
    expect(result.rollback).toMatchObject({ deploymentId: RB, status: 'InProgress', final: false, timedOut: true })
  })

  test('cancelled while following the rollback: the rollback is left running, cancelled in the result', async () => {
    const { clock, start, watch } = watchSetup(clock =>
      deployments(clock, { [ID]: failing({ rollback: 'linked' }), [RB]: rollback({ never: true }) })
    )
    const controller = new AbortController()
    clock.onSleep = now => {
      if (now - start > 20_000) controller.abort()
    }
    const result = await watch({ signal: controller.signal })
    expect(result).toMatchObject({ status: 'Failed', final: true, cancelled: false })
    expect(result.rollback).toMatchObject({ status: 'InProgress', cancelled: true })
  })

  test.each([
    ['followRollback: false', { followRollback: false }],
    ['wait: false (once)', { once: true }]
  ])('%s: reported, not followed', async (_why, extra) => {
    const { cd, clock, watch } = watchSetup(clock => deployments(clock, { [ID]: failing({ rollback: 'linked' }), [RB]: rollback() }))
    clock.advance(30_000) // the failure is already over when the watch starts
    const result = await watch(extra)
    expect(result).toMatchObject({ status: 'Failed', rollbackDeploymentId: RB, rollback: undefined })
    expect(cd.inputs('GetDeployment').map(i => i['deploymentId'])).not.toContain(RB)
  })
})

describe('watchDeployment: other ends', () => {
  test('Ready (blue/green waiting for a reroute): reported as such, with how to continue, and not waited on', async () => {
    const { cd, log, watch } = watchSetup(clock =>
      deploymentHandlers(
        clock,
        elapsed => (elapsed < 9000 ? { status: 'InProgress', overview: { InProgress: 2 } } : { status: 'Ready', overview: { Ready: 2 } }),
        { deploymentId: ID }
      )
    )
    const result = await watch()
    expect(result).toMatchObject({ status: 'Ready', final: false, timedOut: false, cancelled: false })
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /^Deployment d-TESTDEPLOY is Ready: .*waits for traffic to be rerouted.*aws deploy continue-deployment --deployment-id d-TESTDEPLOY/
      )
    ])
    expect(log.info.at(-1)).toBe(`Deployment ${ID} Ready (instances: Ready 2)`)
    const statuses = cd.calls.filter(c => c.command === 'GetDeployment').length
    expect(statuses).toBeLessThanOrEqual(5)
  })

  test('succeeded although an instance failed (health rules allow it): a warning names it and its hook', async () => {
    const { log, watch } = watchSetup(clock =>
      deploymentHandlers(
        clock,
        elapsed => {
          const targets = [
            instanceAt('i-0000', elapsed, { stepMs: 1000 }),
            instanceAt('i-0001', elapsed, { stepMs: 1000, failAt: 'AfterInstall' }),
            instanceAt('i-0002', elapsed, { stepMs: 1000 })
          ]
          const done = targets.every(t => t.status !== 'InProgress')
          return { status: done ? 'Succeeded' : 'InProgress', overview: overviewOf(targets), targets }
        },
        { deploymentId: ID }
      )
    )
    const result = await watch()
    expect(result).toMatchObject({ status: 'Succeeded', final: true })
    expect(result.failures).toEqual([expect.objectContaining({ instanceId: 'i-0001', event: 'AfterInstall' })])
    expect(log.warnings).toEqual([
      `Deployment ${ID} succeeded, but 1 instance(s) failed, which the deployment config's minimum healthy hosts allows: i-0001 (AfterInstall). Those instances may not run the new revision.`
    ])
    expect(log.errors.map(e => e.title)).toEqual(['i-0001 failed AfterInstall'])
  })

  test('a plain success warns about nothing', async () => {
    const { log, watch } = watchSetup(clock =>
      deploymentHandlers(
        clock,
        elapsed => {
          const targets = [instanceAt('i-0000', elapsed, { stepMs: 1000 })]
          return { status: targets[0]!.status === 'Succeeded' ? 'Succeeded' : 'InProgress', overview: overviewOf(targets), targets }
        },
        { deploymentId: ID }
      )
    )
    expect((await watch()).status).toBe('Succeeded')
    expect(log.warnings).toEqual([])
    expect(log.errors).toEqual([])
  })
})
