/**
 * Big fleets: a 1,000-instance deployment is followed with every failure reported, each instance
 * read once when it finishes, and a bounded number of API calls a minute.
 */
import { awsError, deploymentHandlers, instanceAt, overviewOf, type FakeTarget, type Snapshot } from '../../helpers/codedeploy.js'
import { MINUTE, watchSetup } from '../../helpers/watch.js'

const ID = 'd-TESTDEPLOY'
const id = (k: number): string => `i-${String(k).padStart(4, '0')}`

/**
 * `count` instances in waves of `wave` (HalfAtATime-like), one lifecycle event every `stepMs`;
 * `failing` instances fail a hook. The deployment succeeds (health rules allow a few failures).
 */
function waves(count: number, options: { wave: number; stepMs: number; failing?: Record<number, string> }) {
  const failing = options.failing ?? {}
  return (elapsed: number): Snapshot => {
    const targets: FakeTarget[] = Array.from({ length: count }, (_, k) =>
      instanceAt(id(k), elapsed, {
        offsetMs: Math.floor(k / options.wave) * 7 * options.stepMs,
        stepMs: options.stepMs,
        ...(failing[k] ? { failAt: failing[k], logTail: `[stderr]${id(k)} broke in ${failing[k]}` } : {})
      })
    )
    const done = targets.every(t => t.status === 'Succeeded' || t.status === 'Failed')
    return { status: done ? 'Succeeded' : 'InProgress', overview: overviewOf(targets), targets }
  }
}

describe('watchDeployment: 1,000 instances', () => {
  const failing = { 7: 'AfterInstall', 640: 'ApplicationStart', 999: 'ValidateService' }

  test('every failure reported promptly, each instance read once when it finished, at most 60 calls a minute', async () => {
    const { cd, clock, log, start, watch } = watchSetup(
      clock => deploymentHandlers(clock, waves(1000, { wave: 500, stepMs: 10_000, failing }), { deploymentId: ID }),
      { blocks: true }
    )
    const read = new Map<string, number>()
    const readAt = new Map<string, number>()
    cd.wrap('BatchGetDeploymentTargets', batch => (input, call) => {
      for (const t of input['targetIds'] as string[]) {
        read.set(t, (read.get(t) ?? 0) + 1)
        readAt.set(t, clock.now() - start)
      }
      return batch(input, call)
    })
    const result = await watch()
    const elapsed = clock.now() - start
    expect(result).toMatchObject({ status: 'Succeeded', final: true })
    expect(result.instances).toHaveLength(1000)
    expect(result.instances.filter(i => i.status === 'Succeeded')).toHaveLength(997)
    expect(result.failures.map(f => [f.instanceId, f.event])).toEqual([
      ['i-0007', 'AfterInstall'],
      ['i-0640', 'ApplicationStart'],
      ['i-0999', 'ValidateService']
    ])

    // Each instance read exactly once, after it finished, 25 at a time at most.
    expect([...read.values()].every(n => n === 1)).toBe(true)
    expect(read.size).toBe(1000)
    expect(Math.max(...cd.inputs('BatchGetDeploymentTargets').map(i => (i['targetIds'] as string[]).length))).toBe(25)
    expect(readAt.get('i-0000')).toBeLessThan(100_000) // the first wave was read during the deployment, not at the end
    // A big fleet lists only statuses whose count grew.
    expect(
      cd.inputs('ListDeploymentTargets').every(i => (i['targetFilters'] as { TargetStatus: string[] }).TargetStatus.length === 1)
    ).toBe(true)

    // The call budget: GetDeployment at most every 2 s, everything at most 60 in any 60 s, not just on average.
    const minutes = elapsed / MINUTE
    expect(cd.busiestMinute()).toBeLessThanOrEqual(60)
    expect(cd.count('GetDeployment') / minutes).toBeLessThanOrEqual(30)

    // Every failure: an annotation naming instance and hook, the log tail, within a minute of the failure.
    expect(log.errors.map(e => e.title)).toEqual([
      'i-0007 failed AfterInstall',
      'i-0640 failed ApplicationStart',
      'i-0999 failed ValidateService'
    ])
    for (const k of [7, 640, 999]) expect(log.info).toContain(`    | [stderr]${id(k)} broke in ${failing[k as keyof typeof failing]}`)
    const firstFailure = 5 * 10_000 // i-0007 fails at the end of its 5th event
    expect(log.errors[0]!.at - start - firstFailure).toBeLessThan(MINUTE)

    // One line per instance, most folded into groups; the failures outside them.
    const lines = log.log.filter(l => /^ {2}i-\d{4} {2}\S/.test(l))
    expect(new Set(lines.map(l => l.slice(2, 8))).size).toBe(1000)
    expect(lines).toHaveLength(1000)
    expect(log.blocks.flatMap(b => b.lines).length).toBeGreaterThan(990)
    expect(lines.find(l => l.startsWith('  i-0007  '))).toMatch(
      /^ {2}i-0007 {2}Failed +ApplicationStop 10\.0s, .*AfterInstall Failed 10\.0s, ApplicationStart Skipped, ValidateService Skipped$/
    )
    expect(log.blocks[0]!.title).toMatch(/^\d+ instances finished: \d+ Succeeded/)
    expect(log.log.filter(l => l.startsWith('::error')).every(l => !log.blocks.some(b => b.lines.includes(l)))).toBe(true)
    // Noticed within 5 s of its end (the last instance's last event).
    expect(elapsed - 14 * 10_000).toBeLessThanOrEqual(5000)
  })

  test('all at once: nothing can be read until instances finish, so the final read is the only one', async () => {
    const { cd, watch } = watchSetup(clock => deploymentHandlers(clock, waves(1000, { wave: 1000, stepMs: 15_000 }), { deploymentId: ID }))
    const result = await watch()
    expect(result.instances).toHaveLength(1000)
    expect(cd.count('BatchGetDeploymentTargets')).toBe(40)
    expect(cd.count('ListDeploymentTargets')).toBe(10)
    // 50 reads at the end, after 15 polls a minute: paced, so no 60 s holds more than 60 calls.
    expect(cd.busiestMinute()).toBeLessThanOrEqual(60)
  })

  test('stopped: skipped instances are listed, not read; the running ones that failed are read', async () => {
    const { cd, log, watch } = watchSetup(clock =>
      deploymentHandlers(
        clock,
        elapsed => {
          const targets: FakeTarget[] = Array.from({ length: 300 }, (_, k) => {
            if (elapsed < 20_000 || k >= 100)
              return k < 100
                ? instanceAt(id(k), Math.min(elapsed, 15_000), { stepMs: 5000 })
                : { id: id(k), status: elapsed < 20_000 ? 'Pending' : 'Skipped', events: [] }
            const t = instanceAt(id(k), 15_000, { stepMs: 5000 })
            return {
              ...t,
              status: 'Failed',
              events: t.events.map(e =>
                e.status === 'InProgress'
                  ? {
                      ...e,
                      status: 'Failed',
                      end: 20_000,
                      diagnostics: { errorCode: 'UnknownError', message: 'The deployment was stopped by a user.' }
                    }
                  : e.status === 'Pending'
                    ? { ...e, status: 'Skipped' }
                    : e
              )
            }
          })
          return { status: elapsed < 20_000 ? 'InProgress' : 'Stopped', overview: overviewOf(targets), targets }
        },
        { deploymentId: ID }
      )
    )
    const result = await watch()
    expect(result).toMatchObject({ status: 'Stopped', final: true })
    expect(result.instances).toHaveLength(300)
    expect(result.instances.filter(i => i.status === 'Skipped' && i.events.length === 0)).toHaveLength(200)
    const readIds = new Set(cd.inputs('BatchGetDeploymentTargets').flatMap(i => i['targetIds'] as string[]))
    expect(readIds.size).toBe(100)
    expect([...readIds].every(t => Number(t.slice(2)) < 100)).toBe(true)
    expect(log.info).toContain(
      '  200 instances Skipped: i-0100, i-0101, i-0102, i-0103, i-0104, i-0105, i-0106, i-0107, i-0108, i-0109, … (190 more)'
    )
    // 100 failed events: 10 annotations, the rest in the log, the identical message not repeated as a tail.
    expect(log.errors).toHaveLength(10)
    expect(log.info.filter(l => / {4}i-\d{4} failed Install:$/.test(l))).toHaveLength(90)
    // CodeDeploy's words quoted under each, like every piece of service text.
    expect(log.info.filter(l => l === '    | UnknownError: The deployment was stopped by a user.')).toHaveLength(90)
  })

  test('throttled instance reads mid-way skip a round; the watch goes on and reads everything at the end', async () => {
    const { cd, log, watch } = watchSetup(clock => deploymentHandlers(clock, waves(400, { wave: 200, stepMs: 5000 }), { deploymentId: ID }))
    let throttled = 0
    cd.wrap('ListDeploymentTargets', list => (input, call) => {
      if (call < 6) {
        throttled++
        throw awsError('ThrottlingException', 400, 'Rate exceeded')
      }
      return list(input, call)
    })
    const result = await watch()
    expect(throttled).toBe(6)
    expect(result).toMatchObject({ status: 'Succeeded', final: true })
    expect(result.instances.filter(i => i.status === 'Succeeded')).toHaveLength(400)
    expect(log.warnings).toEqual([])
  })
})
