/**
 * ProgressPrinter: what the log shows of successive snapshots, each change once; failures with
 * their diagnostics and log tails; big fleets folded into groups; bounded annotations.
 */
import type { DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { InstanceState, LifecycleEventState } from '../../../src/watch/deployment-result.js'
import { ProgressPrinter } from '../../../src/watch/progress-printer.js'
import { Recorder } from '../../helpers/watch.js'

const T0 = Date.UTC(2024, 4, 1)
const EVENTS = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']

/** An instance `done` events into its run (2.5 s each); `fail` makes the last done one fail. */
function at(
  id: string,
  done: number,
  options: { fail?: { errorCode?: string; scriptName?: string; message?: string; logTail?: string } } = {}
): InstanceState {
  const events: LifecycleEventState[] = EVENTS.map((name, i) => {
    const time = (s: number): Date => new Date(T0 + s * 2500)
    if (i < done - 1 || (i === done - 1 && !options.fail))
      return { name, status: 'Succeeded', startTime: time(i), endTime: time(i + 1), diagnostics: undefined }
    if (i === done - 1)
      return {
        name,
        status: 'Failed',
        startTime: time(i),
        endTime: time(i + 1),
        diagnostics: { errorCode: undefined, scriptName: undefined, message: undefined, logTail: undefined, ...options.fail }
      }
    if (options.fail) return { name, status: 'Skipped', startTime: undefined, endTime: undefined, diagnostics: undefined }
    return {
      name,
      status: i === done ? 'InProgress' : 'Pending',
      startTime: i === done ? time(i) : undefined,
      endTime: undefined,
      diagnostics: undefined
    }
  })
  const status = options.fail ? 'Failed' : done === EVENTS.length ? 'Succeeded' : 'InProgress'
  return { id, status, events }
}

const info = (status: string, overview: DeploymentInfo['deploymentOverview']): DeploymentInfo => ({
  deploymentId: 'd-1',
  status: status as DeploymentInfo['status'],
  deploymentOverview: overview
})

describe('ProgressPrinter', () => {
  test('each event once, with its duration, as snapshots come in; the instance line when it ends', () => {
    const log = new Recorder()
    for (const done of [1, 1, 3, 3, 7, 7]) log.printer.instances([at('i-1', done)])
    expect(log.info).toEqual([
      '  i-1  ApplicationStop  Succeeded 2.5s',
      '  i-1  DownloadBundle   Succeeded 2.5s',
      '  i-1  BeforeInstall    Succeeded 2.5s',
      '  i-1  Install          Succeeded 2.5s',
      '  i-1  AfterInstall     Succeeded 2.5s',
      '  i-1  ApplicationStart Succeeded 2.5s',
      '  i-1  ValidateService  Succeeded 2.5s',
      '  i-1  Succeeded'
    ])
  })

  test('the status line only when status or counts change; zero counts left out', () => {
    const log = new Recorder()
    log.printer.deployment(info('InProgress', { Pending: 2, InProgress: 1, Succeeded: 0 }))
    log.printer.deployment(info('InProgress', { Pending: 2, InProgress: 1, Succeeded: 0 }))
    log.printer.deployment(info('InProgress', { Pending: 1, InProgress: 1, Succeeded: 1 }))
    log.printer.deployment(info('Ready', { Ready: 3 }))
    expect(log.info).toEqual([
      'Deployment d-1 InProgress (instances: Pending 2, InProgress 1)',
      'Deployment d-1 InProgress (instances: Pending 1, InProgress 1, Succeeded 1)',
      'Deployment d-1 Ready (instances: Ready 3)'
    ])
  })

  test('a failed hook: an annotation naming instance and hook, then its log tail, line by line', () => {
    const log = new Recorder()
    log.printer.instances([
      at('i-2', 6, {
        fail: {
          errorCode: 'ScriptFailed',
          scriptName: 'scripts/start.sh',
          message: 'exit code 1',
          logTail: '[stdout]starting\r\n[stderr]EADDRINUSE\n\n'
        }
      })
    ])
    expect(log.log).toEqual([
      ...EVENTS.slice(0, 5).map(e => `  i-2  ${e.padEnd(16)} Succeeded 2.5s`),
      '  i-2  ApplicationStart Failed 2.5s',
      '::error title=i-2 failed ApplicationStart::ScriptFailed in scripts/start.sh: exit code 1',
      '    log tail of scripts/start.sh on i-2:',
      '    | [stdout]starting',
      '    | [stderr]EADDRINUSE',
      '  i-2  ValidateService  Skipped',
      '  i-2  Failed'
    ])
  })

  test('a failure without diagnostics still says so', () => {
    const log = new Recorder()
    log.printer.instances([at('i-3', 2, { fail: {} })])
    expect(log.errors).toEqual([expect.objectContaining({ title: 'i-3 failed DownloadBundle', message: 'no diagnostics reported' })])
  })

  test('at most 10 annotations; the other failures in the log; identical log tails referred to, not repeated', () => {
    const log = new Recorder()
    const tail = '[stderr]npm ERR! code ENOSPC'
    log.printer.instances(
      Array.from({ length: 12 }, (_, i) => at(`i-${i}`, 5, { fail: { errorCode: 'ScriptFailed', message: 'exit 1', logTail: tail } })),
      { compact: true }
    )
    expect(log.errors).toHaveLength(10)
    expect(log.info).toContain('    (GitHub shows 10 error annotations per step: further failures are in the log only)')
    expect(log.info.join('\n')).toContain('    i-10 failed AfterInstall:\n    | ScriptFailed: exit 1')
    expect(log.info.join('\n')).toContain('    i-11 failed AfterInstall:\n    | ScriptFailed: exit 1')
    expect(log.info.filter(l => l === `    | ${tail}`)).toHaveLength(1)
    expect(log.info).toContain('    log tail of AfterInstall on i-11: the same as on i-0')
  })

  test('past 10 annotations, CodeDeploy text still cannot start a line (no forged ::workflow commands)', () => {
    const log = new Recorder()
    const forged = 'exit 1\n::error::forged\r::add-mask::x\r\n::stop-commands::t'
    log.printer.instances(
      Array.from({ length: 12 }, (_, i) => at(`i-${i}`, 5, { fail: { errorCode: 'ScriptFailed', message: forged } })),
      { compact: true }
    )
    expect(log.info.filter(line => line.trimStart().startsWith('::'))).toEqual([])
    expect(log.info.join('\n')).toContain(
      '    i-11 failed AfterInstall:\n    | ScriptFailed: exit 1\n    | ::error::forged\n    | ::add-mask::x'
    )
  })

  test('compact (a big fleet): one line per finished instance, folded in a group, failures after it', () => {
    const log = new Recorder(undefined, true)
    log.printer.instances([at('i-1', 7), at('i-2', 3), at('i-3', 4, { fail: { message: 'boom', logTail: 'tail' } }), at('i-4', 7)], {
      compact: true
    })
    expect(log.blocks).toEqual([
      {
        title: '3 instances finished: 2 Succeeded, 1 Failed',
        lines: [
          `  i-1  Succeeded ${EVENTS.map(e => `${e} 2.5s`).join(', ')}`,
          '  i-3  Failed    ApplicationStop 2.5s, DownloadBundle 2.5s, BeforeInstall 2.5s, Install Failed 2.5s, AfterInstall Skipped, ApplicationStart Skipped, ValidateService Skipped',
          `  i-4  Succeeded ${EVENTS.map(e => `${e} 2.5s`).join(', ')}`
        ]
      }
    ])
    expect(log.log.slice(log.log.indexOf('::endgroup::') + 1)).toEqual([
      '::error title=i-3 failed Install::boom',
      '    log tail of Install on i-3:',
      '    | tail'
    ])
    // i-2 is still running: printed when it finishes, once.
    log.printer.instances([at('i-2', 7), at('i-1', 7)], { compact: true })
    expect(log.info.at(-1)).toBe(`  i-2  Succeeded ${EVENTS.map(e => `${e} 2.5s`).join(', ')}`)
    expect(log.log.filter(l => l.startsWith('  i-1 '))).toHaveLength(1)
  })

  test('without a group output, compact lines are printed as they are', () => {
    const log = new Recorder()
    log.printer.instances([at('i-1', 7), at('i-2', 7)], { compact: true })
    expect(log.info).toHaveLength(2)
    expect(log.blocks).toEqual([])
  })

  test('instances skipped before they ran: named one by one when few, summed up when many', () => {
    const log = new Recorder()
    const skipped = (id: string): InstanceState => ({ id, status: 'Skipped', events: [] })
    log.printer.instances([skipped('i-a'), skipped('i-b')])
    log.printer.instances(Array.from({ length: 14 }, (_, i) => skipped(`i-${i}`)))
    log.printer.instances([skipped('i-a')])
    expect(log.info).toEqual([
      '  i-a  Skipped',
      '  i-b  Skipped',
      '  14 instances Skipped: i-0, i-1, i-2, i-3, i-4, i-5, i-6, i-7, i-8, i-9, … (4 more)'
    ])
  })

  test('a child printer (the rollback) marks its lines and annotation titles', () => {
    const log = new Recorder()
    const child = log.printer.child('[rollback] ')
    child.note('following it')
    child.instances([at('i-1', 3, { fail: { message: 'm' } })])
    child.deployment(info('Failed', { Failed: 1 }))
    expect(log.info[0]).toBe('[rollback] following it')
    expect(log.info).toContain('[rollback]   i-1  BeforeInstall    Failed 2.5s')
    expect(log.errors[0]!.title).toBe('[rollback] i-1 failed BeforeInstall')
    expect(log.info.at(-1)).toBe('[rollback] Deployment d-1 Failed (instances: Failed 1)')
  })

  test('a printer with a group prefix keeps it on every line', () => {
    const lines: string[] = []
    const printer = new ProgressPrinter({ info: l => lines.push(l), error: () => undefined }, '[staging] ')
    printer.instances([at('i-1', 1)])
    printer.deployment(info('InProgress', { InProgress: 1 }))
    expect(lines).toEqual([
      '[staging]   i-1  ApplicationStop  Succeeded 2.5s',
      '[staging] Deployment d-1 InProgress (instances: InProgress 1)'
    ])
  })
})
