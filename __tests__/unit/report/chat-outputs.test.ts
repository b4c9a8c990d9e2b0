/** The outputs a chat message is built from: the result word, the first failure, every failed instance, when it ran. */
import { failuresOf, type DeploymentResult } from '../../../src/watch/deployment-result.js'
import { ActionError } from '../../../src/core/errors.js'
import { chatOutputs, LOG_TAIL_OUTPUT_LIMIT, logTailOutput, resultWord } from '../../../src/report/chat-outputs.js'
import { computeOutputs } from '../../../src/report/outputs.js'
import { group, instance, result, runReport, settings, T0 } from '../../helpers/report.js'

const diagnostics = (script: string, code = 'ScriptFailed') => ({
  errorCode: code,
  scriptName: script,
  message: `Script at specified location: ${script} failed with exit code 1`,
  logTail: '[stderr]Error: listen EADDRINUSE\n\n'
})

function failed(overrides: Partial<DeploymentResult> = {}): DeploymentResult {
  const instances = [
    instance('i-0aaa', { event: 'AfterInstall', diagnostics: diagnostics('scripts/migrate.sh') }),
    instance('i-0bbb', { event: 'ApplicationStart', diagnostics: diagnostics('scripts/start.sh', 'ScriptTimedOut') })
  ]
  return result({ deploymentId: 'd-FAILED001', status: 'Failed', instances, failures: failuresOf(instances), ...overrides })
}

describe('result', () => {
  test.each<[string, () => ReturnType<typeof runReport>, string]>([
    ['a deployment that succeeded', () => runReport(), 'succeeded'],
    ['one that failed', () => runReport({ groups: [group(failed())] }), 'failed'],
    ['one that was stopped (not by this run)', () => runReport({ groups: [group(result({ status: 'Stopped' }))] }), 'stopped'],
    [
      'a cancelled workflow',
      () => runReport({ cancelled: true, groups: [group(result({ status: 'Stopped', cancelled: true }))] }),
      'cancelled'
    ],
    [
      'a time-out',
      () => runReport({ groups: [group(result({ status: 'InProgress', final: false, timedOut: true, completeTime: undefined }))] }),
      'timed-out'
    ],
    [
      'blue/green waiting for the reroute',
      () => runReport({ groups: [group(result({ status: 'Ready', final: false, completeTime: undefined }))] }),
      'ready'
    ],
    [
      'wait: false',
      () =>
        runReport({
          settings: settings({ wait: false }),
          groups: [group(result({ status: 'InProgress', final: false, completeTime: undefined }))]
        }),
      'created'
    ],
    ['an input error', () => runReport({ settings: undefined, groups: [], error: new ActionError('bad', { input: 'x' }) }), 'failed'],
    ['the check command', () => runReport({ command: 'check', groups: [] }), 'checked'],
    ['the register command', () => runReport({ command: 'register', groups: [] }), 'registered'],
    ['the check command that found a problem', () => runReport({ command: 'check', groups: [], error: new ActionError('bad') }), 'failed'],
    [
      'two groups, the second failed',
      () =>
        runReport({
          settings: settings({ deploymentGroups: ['production', 'staging'] }),
          groups: [group(result()), group(failed({ group: 'staging' }))]
        }),
      'failed'
    ]
  ])('%s: %s', (_why, make, word) => {
    expect(resultWord(make())).toBe(word)
    expect(computeOutputs(make())['result']).toBe(word)
  })
})

describe('the first failure and every failed instance', () => {
  test('failed-script, log-tail, rollback-status and failed-instances across groups', () => {
    const rollback = result({ deploymentId: 'd-ROLLBACK1', status: 'Succeeded' })
    const report = runReport({
      settings: settings({ deploymentGroups: ['production', 'staging'] }),
      groups: [
        group(failed({ rollbackDeploymentId: 'd-ROLLBACK1', rollback })),
        group(
          failed({
            deploymentId: 'd-STAGING01',
            group: 'staging',
            instances: [],
            failures: failuresOf([instance('i-0ccc', { event: 'ValidateService', diagnostics: diagnostics('scripts/check.sh') })])
          })
        )
      ]
    })
    const out = chatOutputs(report)
    expect(out).toMatchObject({
      'application-name': 'shop',
      'deployment-group': 'production',
      'rollback-status': 'Succeeded',
      'failed-script': 'scripts/migrate.sh',
      'log-tail': '[stderr]Error: listen EADDRINUSE'
    })
    expect(JSON.parse(out['failed-instances']!)).toEqual([
      {
        instance: 'i-0aaa',
        group: 'production',
        'deployment-id': 'd-FAILED001',
        event: 'AfterInstall',
        'error-code': 'ScriptFailed',
        script: 'scripts/migrate.sh'
      },
      {
        instance: 'i-0bbb',
        group: 'production',
        'deployment-id': 'd-FAILED001',
        event: 'ApplicationStart',
        'error-code': 'ScriptTimedOut',
        script: 'scripts/start.sh'
      },
      {
        instance: 'i-0ccc',
        group: 'staging',
        'deployment-id': 'd-STAGING01',
        event: 'ValidateService',
        'error-code': 'ScriptFailed',
        script: 'scripts/check.sh'
      }
    ])
  })

  test('started-at is the first creation, ended-at the last end (or when the step stopped following)', () => {
    const report = runReport({
      settings: settings({ deploymentGroups: ['production', 'staging'] }),
      groups: [
        group(result({ createTime: new Date(T0 + 5000), completeTime: new Date(T0 + 60_000) })),
        group(
          result({
            group: 'staging',
            createTime: new Date(T0),
            status: 'InProgress',
            final: false,
            timedOut: true,
            completeTime: undefined
          })
        )
      ],
      endedAt: T0 + 90_000
    })
    expect(chatOutputs(report)).toMatchObject({
      'started-at': new Date(T0).toISOString(),
      'ended-at': new Date(T0 + 90_000).toISOString()
    })
  })

  test('github-deployment-url when a GitHub deployment was recorded', () => {
    const url = 'https://github.com/octo/shop/deployments/production'
    expect(chatOutputs(runReport({ githubDeploymentUrl: url }))['github-deployment-url']).toBe(url)
  })
})

describe('log-tail', () => {
  test('a short tail is kept whole, trailing blank lines dropped', () => {
    expect(logTailOutput('line 1\nline 2\n\n')).toBe('line 1\nline 2')
    expect(logTailOutput(undefined)).toBe('')
  })

  test('a 4 KB tail keeps its end, cut at a line start, within the limit', () => {
    const lines = Array.from({ length: 80 }, (_, i) => `[stdout]line ${String(i).padStart(2, '0')} ${'x'.repeat(40)}`)
    const tail = logTailOutput([...lines, '[stderr]the error'].join('\n'))
    expect(tail.length).toBeLessThanOrEqual(LOG_TAIL_OUTPUT_LIMIT)
    expect(tail.startsWith('…\n[stdout]line ')).toBe(true)
    expect(tail.endsWith('[stderr]the error')).toBe(true)
  })

  test('one long line is cut rather than dropped', () => {
    const tail = logTailOutput('y'.repeat(5000))
    expect(tail).toBe(`…\n${'y'.repeat(LOG_TAIL_OUTPUT_LIMIT - 2)}`)
  })
})
