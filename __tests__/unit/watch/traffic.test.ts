/**
 * Watching ECS and Lambda deployments (targets.ts, traffic.ts, progress.ts, watch.ts): the one
 * target's lifecycle events, its task sets and the traffic split, each change printed once and
 * in the order it happened, on a virtual clock.
 */
import type { DeploymentTarget, ECSTaskSet } from '@aws-sdk/client-codedeploy'
import { FakeClock } from '../../helpers/clock.js'
import { ECS_EVENTS, FakeCodeDeploy, LAMBDA_EVENTS, type Handler } from '../../helpers/codedeploy.js'
import { MINUTE, Recorder, startWatch } from '../../helpers/watch.js'

const ID = 'd-BLUEGREEN'

interface Moment {
  status: string
  /** Events done so far (the rest Pending, the next one InProgress). */
  done: number
  failed?: { message: string; logTail: string; fn: string }
  taskSets?: ECSTaskSet[]
  weight?: number
}

/** CodeDeploy answering for one ECS or Lambda deployment that follows `at(elapsed ms)`. */
function handlers(clock: FakeClock, platform: 'ECS' | 'Lambda', at: (ms: number) => Moment): Partial<Record<string, Handler>> {
  const start = clock.now()
  const events = platform === 'ECS' ? ECS_EVENTS : LAMBDA_EVENTS
  const targetId = platform === 'ECS' ? 'main:web' : 'orders:live'
  const targetStatus = (m: Moment) => (m.failed ? 'Failed' : m.done === events.length ? 'Succeeded' : 'InProgress')
  return {
    GetDeployment: () => {
      const m = at(clock.now() - start)
      const started = m.status !== 'Created'
      return {
        deploymentInfo: {
          deploymentId: ID,
          status: m.status,
          computePlatform: platform,
          createTime: new Date(start),
          deploymentOverview: started
            ? { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0, [targetStatus(m)]: 1 }
            : undefined,
          ...(m.failed ? { errorInformation: { code: 'HOOK_EXECUTION_FAILURE', message: `hook ${m.failed.fn} failed` } } : {})
        }
      }
    },
    ListDeploymentTargets: () => ({ targetIds: [targetId] }),
    BatchGetDeploymentTargets: () => {
      const m = at(clock.now() - start)
      const lifecycleEvents = events.map((name, i) => {
        const status = i < m.done ? 'Succeeded' : i === m.done ? (m.failed ? 'Failed' : 'InProgress') : m.failed ? 'Skipped' : 'Pending'
        return {
          lifecycleEventName: name,
          status,
          ...(status !== 'Pending' && status !== 'Skipped' ? { startTime: new Date(start + i * 1000) } : {}),
          ...(status === 'Succeeded' || status === 'Failed' ? { endTime: new Date(start + i * 1000 + 500) } : {}),
          ...(status === 'Failed'
            ? {
                diagnostics: { errorCode: 'UnknownError', scriptName: m.failed!.fn, message: m.failed!.message, logTail: m.failed!.logTail }
              }
            : {})
        }
      })
      const common = { deploymentId: ID, targetId, status: targetStatus(m), lifecycleEvents }
      const target: DeploymentTarget =
        platform === 'ECS'
          ? ({ deploymentTargetType: 'ECSTarget', ecsTarget: { ...common, taskSetsInfo: m.taskSets } } as DeploymentTarget)
          : ({
              deploymentTargetType: 'LambdaTarget',
              lambdaTarget: {
                ...common,
                lambdaFunctionInfo: {
                  functionName: 'orders',
                  functionAlias: 'live',
                  currentVersion: '3',
                  targetVersion: '4',
                  targetVersionWeight: m.weight
                }
              }
            } as DeploymentTarget)
      return { deploymentTargets: [target] }
    }
  }
}

const blue = (weight: number, running = 2, status = 'PRIMARY'): ECSTaskSet => ({
  identifer: 'ecs-svc/111',
  taskSetLabel: 'Blue',
  status,
  trafficWeight: weight,
  desiredCount: running,
  runningCount: running,
  pendingCount: 0,
  targetGroup: { name: 'web-tg-1' }
})
const green = (weight: number, running: number, status = 'ACTIVE'): ECSTaskSet => ({
  identifer: 'ecs-svc/222',
  taskSetLabel: 'Green',
  status,
  trafficWeight: weight,
  desiredCount: 2,
  runningCount: running,
  pendingCount: 2 - running,
  targetGroup: { name: 'web-tg-2' }
})

/** An ECS canary: 10% to Green for five minutes, then all of it. */
function canary(ms: number): Moment {
  const s = ms / 1000
  if (s < 2) return { status: 'Created', done: 0 }
  if (s < 10) return { status: 'InProgress', done: 0, taskSets: [blue(100)] }
  if (s < 20) return { status: 'InProgress', done: 1, taskSets: [blue(100), green(0, 0)] }
  if (s < 30) return { status: 'InProgress', done: 6, taskSets: [blue(100), green(0, 2)] }
  if (ms < 30_000 + 5 * MINUTE) return { status: 'InProgress', done: 6, taskSets: [blue(90), green(10, 2)] }
  if (ms < 40_000 + 5 * MINUTE) return { status: 'InProgress', done: 7, taskSets: [blue(0), green(100, 2)] }
  return { status: 'Succeeded', done: 8, taskSets: [blue(0, 0, 'DRAINING'), green(100, 2, 'PRIMARY')] }
}

function watch(platform: 'ECS' | 'Lambda', at: (ms: number) => Moment) {
  const clock = new FakeClock()
  const cd = new FakeCodeDeploy(handlers(clock, platform, at))
  const log = new Recorder(clock)
  const run = startWatch(cd, clock, log, ID)
  return { cd, log, run }
}

describe('an ECS deployment', () => {
  test('task sets and every traffic split are printed once each, before the event that moved them ends', async () => {
    const { cd, log, run } = watch('ECS', canary)
    const result = await run
    expect(result).toMatchObject({ status: 'Succeeded', final: true, computePlatform: 'ECS' })
    const lines = log.info.filter(l => l.startsWith('  main:web  '))
    const traffic = lines.filter(l => l.includes('  traffic '))
    expect(traffic).toEqual([
      '  main:web  traffic Blue 100%',
      '  main:web  traffic Blue 100% / Green 0%',
      '  main:web  traffic Blue 90% / Green 10%',
      '  main:web  traffic Blue 0% / Green 100%'
    ])
    expect(lines.filter(l => l.includes('task set Green'))).toEqual([
      '  main:web  task set Green ecs-svc/222 ACTIVE, 0/2 tasks running, target group web-tg-2',
      '  main:web  task set Green ecs-svc/222 ACTIVE, 2/2 tasks running, target group web-tg-2',
      '  main:web  task set Green ecs-svc/222 PRIMARY, 2/2 tasks running, target group web-tg-2'
    ])
    // The shift to 100% is printed before AllowTraffic is reported done.
    expect(lines.indexOf('  main:web  traffic Blue 0% / Green 100%')).toBeLessThan(
      lines.findIndex(l => /^ {2}main:web {2}AllowTraffic +Succeeded/.test(l))
    )
    for (const event of ECS_EVENTS) expect(lines.filter(l => new RegExp(`  ${event} +Succeeded 0\\.5s$`).test(l))).toHaveLength(1)
    expect(lines.at(-1)).toBe('  main:web  Succeeded')
    expect(log.info.at(-1)).toBe(`Deployment ${ID} Succeeded (targets: Succeeded 1)`)
    expect(result.instances[0]?.traffic).toMatchObject({ platform: 'ECS', seen: [0, 10, 100] })
    // One target: one read per look, never a listing after the first.
    expect(cd.count('ListDeploymentTargets')).toBe(1)
    expect(cd.count('BatchGetDeploymentTargets')).toBeLessThanOrEqual(cd.count('GetDeployment'))
  })
})

describe('a Lambda deployment', () => {
  test('linear: the alias weight moving, then a failing AfterAllowTraffic hook with its function, message and log tail', async () => {
    const { log, run } = watch('Lambda', ms => {
      const minutes = Math.floor(ms / MINUTE)
      if (ms < 2000) return { status: 'Created', done: 0 }
      if (minutes < 1) return { status: 'InProgress', done: 1, weight: 0 }
      if (minutes < 10) return { status: 'InProgress', done: 1, weight: minutes * 10 }
      if (minutes < 11) return { status: 'InProgress', done: 2, weight: 100 }
      return {
        status: 'Failed',
        done: 2,
        weight: 0,
        failed: {
          fn: 'PostTraffic',
          message: 'The AfterAllowTraffic hook function PostTraffic reported Failed.',
          logTail: 'GET /orders -> 500\n'
        }
      }
    })
    const result = await run
    expect(result).toMatchObject({ status: 'Failed', computePlatform: 'Lambda' })
    const weights = log.info.filter(l => l.startsWith('  orders:live  traffic ')).map(l => Number(/version 4 (\d+)%$/.exec(l)?.[1]))
    // Every minute's 10% was seen (the watch looks every 4 s at most), then the rollback to 0.
    expect(weights).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 0])
    expect(log.info).toContain('  orders:live  traffic version 3 90% / version 4 10%')
    expect(log.errors).toEqual([
      {
        title: 'orders:live failed AfterAllowTraffic',
        message: 'UnknownError in hook function PostTraffic: The AfterAllowTraffic hook function PostTraffic reported Failed.',
        at: expect.any(Number) as unknown as number
      }
    ])
    expect(log.info).toContain('    | GET /orders -> 500')
    expect(result.failures).toEqual([
      expect.objectContaining({ instanceId: 'orders:live', event: 'AfterAllowTraffic', scriptName: 'PostTraffic' })
    ])
    expect(result.instances[0]?.traffic).toMatchObject({
      platform: 'Lambda',
      currentVersion: '3',
      targetVersion: '4',
      targetVersionWeight: 0
    })
  })
})
