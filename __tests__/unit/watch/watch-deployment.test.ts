import { ActionError } from '../../../src/core/errors.js'
import {
  awsError,
  deploymentHandlers,
  EC2_EVENTS,
  instanceAt,
  overviewOf,
  type FakeTarget,
  type Snapshot
} from '../../helpers/codedeploy.js'
import { watchSetup, type WatchSetup } from '../../helpers/watch.js'

const ID = 'd-TESTDEPLOY'
const MINUTE = 60_000

/** A deployment following `at`, a fake client answering from it, and a watch with a 30 min deadline. */
function setup(at: (elapsedMs: number, call: number) => Snapshot, options: { pageSize?: number } = {}): WatchSetup {
  return watchSetup(clock => deploymentHandlers(clock, at, { deploymentId: ID, ...options }), { deploymentId: ID })
}

/** Instances running their lifecycle events in turn; the deployment ends with them. */
function fleet(count: number, options: { stepMs?: number; staggerMs?: number; failAt?: string; finalStatus?: string } = {}) {
  return (elapsed: number): Snapshot => {
    const targets: FakeTarget[] = Array.from({ length: count }, (_, k) =>
      instanceAt(`i-${String(k).padStart(4, '0')}`, elapsed, {
        offsetMs: k * (options.staggerMs ?? 0),
        stepMs: options.stepMs ?? 2000,
        ...(k === 0 && options.failAt ? { failAt: options.failAt } : {})
      })
    )
    const done = targets.every(t => ['Succeeded', 'Failed', 'Skipped'].includes(t.status))
    const failed = targets.some(t => t.status === 'Failed')
    return {
      status: done ? (options.finalStatus ?? (failed ? 'Failed' : 'Succeeded')) : 'InProgress',
      overview: overviewOf(targets),
      targets,
      ...(done && failed
        ? { errorInformation: { code: 'HEALTH_CONSTRAINTS', message: 'too many instances failed' }, rollbackDeploymentId: 'd-ROLLBACK1' }
        : {})
    }
  }
}

const steady =
  (status: string, until: number, final = 'Succeeded') =>
  (elapsed: number): Snapshot =>
    elapsed < until ? { status, overview: { InProgress: 1 }, targets: [] } : { status: final, overview: { Succeeded: 1 }, targets: [] }

describe('watchDeployment: progress', () => {
  test('prints each lifecycle event of each instance exactly once across many polls', async () => {
    const { cd, log, watch } = setup(fleet(3, { stepMs: 2500, staggerMs: 4000 }))
    const result = await watch()
    expect(result).toMatchObject({
      deploymentId: ID,
      group: 'production',
      status: 'Succeeded',
      final: true,
      timedOut: false,
      cancelled: false
    })
    expect(cd.count('GetDeployment')).toBeGreaterThan(5)
    for (const id of ['i-0000', 'i-0001', 'i-0002']) {
      for (const event of EC2_EVENTS) {
        const lines = log.info.filter(l => l.startsWith(`  ${id}  ${event.padEnd(16)} Succeeded`))
        expect({ id, event, printed: lines.length }).toEqual({ id, event, printed: 1 })
      }
      expect(log.info.filter(l => l === `  ${id}  Succeeded`)).toHaveLength(1)
    }
    expect(log.info.filter(l => /^ {2}i-\d+ {2}\S+\s+(Succeeded|Failed|Skipped)/.test(l))).toHaveLength(21)
    // The status line repeats only when status or counts change.
    const statusLines = log.info.filter(l => l.startsWith(`Deployment ${ID} `))
    expect(new Set(statusLines).size).toBe(statusLines.length)
    expect(statusLines.at(-1)).toBe(`Deployment ${ID} Succeeded (instances: Succeeded 3)`)
    expect(result.instances.map(i => i.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded'])
    expect(log.errors).toEqual([])
  })

  test.each([
    ['Succeeded', {}],
    ['Failed', { failAt: 'ApplicationStart' }],
    ['Stopped', { finalStatus: 'Stopped' }]
  ] as const)('ends on %s and asks nothing more', async (status, options) => {
    const { cd, clock, watch } = setup(fleet(2, { stepMs: 1500, ...options }))
    const seen: string[] = []
    cd.wrap('GetDeployment', get => (input, call) => {
      const out = get(input, call) as { deploymentInfo: { status: string } }
      seen.push(out.deploymentInfo.status)
      return out
    })
    const start = clock.now()
    const result = await watch({ followRollback: false })
    expect(result).toMatchObject({ status, final: true, timedOut: false, cancelled: false, lostContact: undefined })
    // Polled while it ran, stopped at the first final status; the final targets were read after it.
    expect(seen.length).toBeGreaterThan(3)
    expect(seen.indexOf(status)).toBe(seen.length - 1)
    expect(cd.calls.at(-1)?.command).toBe('BatchGetDeploymentTargets')
    expect(clock.now() - start).toBeLessThan(MINUTE)
  })

  test('a failed hook: failures, error info and rollback in the result; one error annotation with the log tail', async () => {
    const { log, watch } = setup(fleet(2, { stepMs: 1500, failAt: 'ApplicationStart' }))
    const result = await watch({ followRollback: false })
    expect(result).toMatchObject({
      status: 'Failed',
      errorCode: 'HEALTH_CONSTRAINTS',
      errorMessage: 'too many instances failed',
      rollbackDeploymentId: 'd-ROLLBACK1',
      rollback: undefined
    })
    expect(result.failures).toEqual([
      expect.objectContaining({
        instanceId: 'i-0000',
        event: 'ApplicationStart',
        errorCode: 'ScriptFailed',
        scriptName: 'scripts/start.sh',
        logTail: '[stderr]boom'
      })
    ])
    expect(log.errors).toEqual([
      {
        title: 'i-0000 failed ApplicationStart',
        message: expect.stringMatching(/^ScriptFailed in scripts\/start\.sh: Script at specified location/) as unknown as string,
        at: expect.any(Number) as unknown as number
      }
    ])
    expect(log.info.filter(l => l === '    | [stderr]boom')).toHaveLength(1)
    expect(log.info.filter(l => /^ {2}i-0000 {2}ValidateService\s+Skipped$/.test(l))).toHaveLength(1)
  })

  test('wait: false reads the deployment once', async () => {
    const { cd, watch } = setup(fleet(2))
    const result = await watch({ once: true })
    expect(result).toMatchObject({ status: 'InProgress', final: false, timedOut: false })
    expect(cd.count('GetDeployment')).toBe(1)
    expect(cd.count('ListDeploymentTargets')).toBe(1)
  })
})

describe('watchDeployment: losing contact', () => {
  const throttled = (): Error => awsError('ThrottlingException', 400, 'Rate exceeded')
  const unavailable = (): Error => awsError('ServiceUnavailable', 503, 'Service Unavailable')

  test.each([
    ['throttling', throttled],
    ['a 503', unavailable],
    ['a reset connection', () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })]
  ])('%s for a while: keeps polling, then sees the end and says it is back', async (_why, error) => {
    const { cd, log, watch } = setup(steady('InProgress', 20_000))
    cd.wrap('GetDeployment', get => (input, call) => {
      if (call >= 2 && call < 8) throw error()
      return get(input, call)
    })
    const result = await watch()
    expect(result).toMatchObject({ status: 'Succeeded', final: true, timedOut: false, lostContact: undefined })
    expect(cd.count('GetDeployment')).toBeGreaterThan(8)
    expect(log.warnings[0]).toMatch(/^Cannot reach CodeDeploy \(.+\); still trying until the time-out\.$/)
    expect(log.warnings).toContain('Back in contact with CodeDeploy after 6 failed attempt(s).')
  })

  test.each([
    ['throttling', throttled, /ThrottlingException: Rate exceeded/],
    ['a 503', unavailable, /ServiceUnavailable: Service Unavailable/]
  ])('%s until the deadline: times out with the last status seen, never the success it missed', async (_why, error, lost) => {
    const { cd, clock, log, watch } = setup(steady('InProgress', 60_000))
    const start = clock.now()
    cd.wrap('GetDeployment', get => (input, call) => {
      if (call >= 3) throw error()
      return get(input, call)
    })
    const result = await watch({ deadline: start + 10 * MINUTE })
    expect(result).toMatchObject({ status: 'InProgress', final: false, timedOut: true, cancelled: false })
    expect(result.lostContact).toMatch(lost)
    expect(clock.now()).toBe(start + 10 * MINUTE)
    // Still trying all along (backoff capped at 16 s), but not warning on every attempt.
    expect(cd.count('GetDeployment')).toBeGreaterThan((10 * MINUTE) / 16_000)
    expect(log.warnings.length).toBeLessThan(cd.count('GetDeployment') / 5)
  })

  test('failing from the very first call until the deadline: status Unknown, lostContact set', async () => {
    const { cd, clock, watch } = setup(steady('InProgress', 0))
    cd.wrap('GetDeployment', () => () => {
      throw awsError('ThrottlingException', 400, 'Rate exceeded')
    })
    const start = clock.now()
    const result = await watch({ deadline: start + 5 * MINUTE })
    expect(result).toMatchObject({ status: 'Unknown', final: false, timedOut: true, instances: [] })
    expect(result.lostContact).toBe('ThrottlingException: Rate exceeded')
    expect(clock.now()).toBeGreaterThanOrEqual(start + 5 * MINUTE)
    expect(Math.max(...clock.sleeps)).toBeLessThanOrEqual(16_000)
  })

  test.each([
    ['AccessDeniedException', /^access denied while reading deployment d-TESTDEPLOY: .* may not call codedeploy:GetDeployment/i],
    ['DeploymentDoesNotExistException', /^reading deployment d-TESTDEPLOY failed: DeploymentDoesNotExistException/i]
  ])('%s fails at once, without retrying', async (name, message) => {
    const { cd, clock, watch } = setup(steady('InProgress', MINUTE))
    cd.wrap('GetDeployment', () => () => {
      throw awsError(name, 400)
    })
    const error: unknown = await watch().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).message).toMatch(message)
    expect((error as ActionError).code).toBe(name)
    expect(cd.count('GetDeployment')).toBe(1)
    expect(clock.sleeps).toEqual([])
  })
})

describe('watchDeployment: cancel and deadline', () => {
  test('a signal aborted while waiting returns cancelled with the last status', async () => {
    const { cd, clock, watch } = setup(steady('InProgress', 10 * MINUTE))
    const controller = new AbortController()
    const start = clock.now()
    clock.onSleep = now => {
      if (now - start >= 20_000) controller.abort()
    }
    const result = await watch({ signal: controller.signal })
    expect(result).toMatchObject({ status: 'InProgress', cancelled: true, final: false, timedOut: false })
    const calls = cd.count('GetDeployment')
    expect(clock.now() - start).toBeLessThan(25_000)
    expect(calls).toBeGreaterThan(3)
  })

  test('a signal aborted during a request returns cancelled, not an error', async () => {
    const { cd, watch } = setup(steady('InProgress', 10 * MINUTE))
    const controller = new AbortController()
    cd.wrap('GetDeployment', get => (input, call) => {
      if (call === 3) {
        controller.abort()
        throw Object.assign(new Error('Request aborted'), { name: 'AbortError' })
      }
      return get(input, call)
    })
    const result = await watch({ signal: controller.signal })
    expect(result).toMatchObject({ status: 'InProgress', cancelled: true, final: false })
    expect(cd.count('GetDeployment')).toBe(4)
  })

  test('a signal aborted before the start makes no call', async () => {
    const { cd, watch } = setup(steady('InProgress', MINUTE))
    const result = await watch({ signal: AbortSignal.abort() })
    expect(result).toMatchObject({ status: 'Unknown', cancelled: true })
    expect(cd.calls).toEqual([])
  })

  test('a deployment still running at the deadline: timedOut, in contact, last sleep cut to the deadline', async () => {
    const { clock, watch } = setup(steady('InProgress', Infinity))
    const start = clock.now()
    const result = await watch({ deadline: start + 3 * MINUTE + 1234 })
    expect(result).toMatchObject({ status: 'InProgress', timedOut: true, final: false, lostContact: undefined })
    expect(clock.now()).toBe(start + 3 * MINUTE + 1234)
  })
})

describe('watchDeployment: bounded API use', () => {
  test('BatchGetDeploymentTargets gets at most 25 ids, finished targets are never fetched again, ids are paged', async () => {
    const { cd, watch } = setup(fleet(60, { stepMs: 700, staggerMs: 300 }), { pageSize: 40 })
    const finished = new Set<string>()
    const refetched: string[] = []
    cd.wrap('BatchGetDeploymentTargets', batch => (input, call) => {
      for (const id of input['targetIds'] as string[]) if (finished.has(id)) refetched.push(id)
      const out = batch(input, call) as { deploymentTargets: Array<{ instanceTarget: { targetId: string; status: string } }> }
      for (const t of out.deploymentTargets) {
        if (['Succeeded', 'Failed', 'Skipped'].includes(t.instanceTarget.status)) finished.add(t.instanceTarget.targetId)
      }
      return out
    })
    const result = await watch()
    expect(result).toMatchObject({ status: 'Succeeded', final: true })
    expect(result.instances).toHaveLength(60)
    const sizes = cd.inputs('BatchGetDeploymentTargets').map(i => (i['targetIds'] as string[]).length)
    expect(Math.max(...sizes)).toBe(25)
    expect(refetched).toEqual([])
    expect(finished.size).toBe(60)
    // Each refresh lists all 60 ids in two pages.
    expect(cd.inputs('ListDeploymentTargets').filter(i => i['nextToken'] === '40').length).toBeGreaterThan(0)
    expect(cd.count('ListDeploymentTargets') % 2).toBe(0)
  })

  test('at the end, a throttled target read is retried so every instance is reported', async () => {
    const { cd, watch } = setup(fleet(3, { stepMs: 1000 }))
    let failing = 0
    cd.wrap('BatchGetDeploymentTargets', batch => (input, call) => {
      // Fail every target read from the moment the deployment has ended, twice.
      const done = (batch(input, call) as { deploymentTargets: Array<{ instanceTarget: { status: string } }> }).deploymentTargets.every(
        t => t.instanceTarget.status === 'Succeeded'
      )
      if (done && failing < 2) {
        failing++
        throw awsError('ThrottlingException', 400)
      }
      return batch(input, call)
    })
    const result = await watch()
    expect(failing).toBe(2)
    expect(result.instances.map(i => i.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded'])
  })

  test.each([60_000, 61_234, 95_500, 4 * MINUTE + 1])(
    'a deployment ending after %i ms of no change is noticed within 5 s; polls start at 2 s and grow to 4 s, no further',
    async endsAt => {
      const { clock, watch } = setup(steady('InProgress', endsAt))
      const start = clock.now()
      const result = await watch()
      expect(result).toMatchObject({ status: 'Succeeded', final: true })
      expect(clock.now() - start - endsAt).toBeLessThanOrEqual(5000)
      expect(clock.now() - start).toBeGreaterThanOrEqual(endsAt)
      expect(clock.sleeps.slice(0, 6)).toEqual([2000, 3000, 4000, 4000, 4000, 4000])
      expect(Math.max(...clock.sleeps)).toBe(4000)
      for (let i = 1; i < clock.sleeps.length; i++) expect(clock.sleeps[i]).toBeGreaterThanOrEqual(clock.sleeps[i - 1]!)
    }
  )

  test('a new stage or a new failure brings the interval back to 2 s; counts moving alone do not', async () => {
    const { clock, watch } = setup(elapsed =>
      elapsed < 20_000
        ? { status: 'InProgress', overview: { InProgress: 2 } }
        : elapsed < 40_000
          ? { status: 'InProgress', overview: { InProgress: 1, Succeeded: 1 } }
          : elapsed < 60_000
            ? { status: 'InProgress', overview: { Failed: 1, Succeeded: 1 } }
            : { status: 'Failed', overview: { Failed: 1, Succeeded: 1 } }
    )
    await watch()
    // The first sleep follows the first look (a new stage); later, only the failure resets it.
    const resets = clock.sleeps.map((ms, i) => (ms === 2000 ? i : -1)).filter(i => i >= 0)
    expect(resets).toHaveLength(2)
    expect(resets[0]).toBe(0)
    expect(Math.max(...clock.sleeps)).toBe(4000)
  })
})
