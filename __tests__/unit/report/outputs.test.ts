import { load } from 'js-yaml'
import * as fs from 'node:fs'
import { failuresOf, type DeploymentResult, type InstanceState } from '../../../src/watch/deployment-result.js'
import { ActionError } from '../../../src/core/errors.js'
import { failureMessage } from '../../../src/report/diagnosis.js'
import { type RunReport } from '../../../src/report/run-report.js'
import { computeOutputs, summaryLine } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import { group, instance, result, revision, runReport, settings, SHA, T0 } from '../../helpers/report.js'

const URL_OF = (id: string): string => `https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${id}?region=eu-west-1`
const LOG_TAIL = [
  '[stdout]> shop@1.0.0 start',
  '[stderr]Error: listen EADDRINUSE: address already in use :::8080',
  '[stderr]```',
  '[stderr]a fence inside the log | and a pipe <b>',
  '[stderr]```'
].join('\n')

function failedResult(overrides: Partial<DeploymentResult> = {}): DeploymentResult {
  const instances: InstanceState[] = [
    instance('i-0aaa'),
    instance('i-0bbb', {
      event: 'ApplicationStart',
      diagnostics: {
        errorCode: 'ScriptFailed',
        scriptName: 'scripts/start.sh',
        message: 'Script at specified location: scripts/start.sh run as user root failed with exit code 1',
        logTail: `${LOG_TAIL}\n\n`
      }
    })
  ]
  return result({
    deploymentId: 'd-FAILED001',
    status: 'Failed',
    errorCode: 'HEALTH_CONSTRAINTS',
    errorMessage: 'The overall deployment failed because too many individual instances failed deployment',
    overview: { Pending: 0, InProgress: 0, Succeeded: 1, Failed: 1, Skipped: 0, Ready: 0 },
    instances,
    failures: failuresOf(instances),
    rollbackDeploymentId: 'd-ROLLBACK1',
    ...overrides
  })
}

const awsFlavoured = new ActionError('Access denied while reading x: may not call codedeploy:GetDeployment.', {
  code: 'AccessDeniedException',
  fix: 'allow it.'
})
const inputError = new ActionError('is required and was not set.', {
  input: 'application-name',
  fix: 'set it to the CodeDeploy application, e.g. `application-name: my-app`.'
})

/** The named scenarios every test below draws from. */
const scenarios = {
  success: (): RunReport => runReport(),
  hookFailure: (): RunReport => runReport({ groups: [group(failedResult())] }),
  inputError: (): RunReport => runReport({ settings: undefined, revision: undefined, groups: [], error: inputError }),
  timeout: (): RunReport =>
    runReport({
      groups: [
        group(
          result({
            deploymentId: 'd-SLOW00001',
            status: 'InProgress',
            final: false,
            timedOut: true,
            completeTime: undefined,
            overview: { Pending: 0, InProgress: 1, Succeeded: 1, Failed: 0, Skipped: 0, Ready: 0 },
            lostContact: 'ThrottlingException: Rate exceeded'
          })
        )
      ]
    }),
  cancelStopped: (): RunReport =>
    runReport({
      cancelled: true,
      groups: [
        group(
          result({
            deploymentId: 'd-CANCEL001',
            status: 'InProgress',
            final: false,
            cancelled: true,
            completeTime: undefined,
            overview: { Pending: 1, InProgress: 1, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 }
          }),
          { stopRequested: true }
        )
      ]
    }),
  twoGroups: (): RunReport =>
    runReport({
      settings: settings({ deploymentGroups: ['production', 'staging'] }),
      groups: [
        group(result()),
        group(
          failedResult({
            deploymentId: 'd-STAGING01',
            group: 'staging',
            createTime: new Date(T0 + 5000),
            completeTime: new Date(T0 + 120_000)
          })
        )
      ]
    })
}

describe('computeOutputs', () => {
  test('sets exactly the outputs action.yml declares', () => {
    const declared = Object.keys(
      (load(fs.readFileSync(new URL('../../../action.yml', import.meta.url), 'utf8')) as { outputs: object }).outputs
    )
    for (const make of Object.values(scenarios)) {
      expect(Object.keys(computeOutputs(make())).sort()).toEqual([...declared].sort())
    }
  })

  test('success: every output set', () => {
    const outputs = computeOutputs(scenarios.success())
    expect(outputs).toEqual({
      'deployment-id': 'd-SUCCESS01',
      status: 'Succeeded',
      'deployment-url': URL_OF('d-SUCCESS01'),
      'bundle-uri': `s3://bundles/shop/${SHA}.zip`,
      'bundle-etag': '9b2cf535f27731c974343645a3985328',
      'bundle-version': 'v1',
      'bundle-sha256': 'a'.repeat(64),
      'bundle-size': '12345',
      uploaded: 'true',
      'appspec-sha256': '',
      sha: SHA,
      'instances-succeeded': '2',
      'instances-failed': '0',
      'instances-skipped': '0',
      'instances-total': '2',
      'error-code': '',
      'error-message': '',
      'failed-instance': '',
      'failed-event': '',
      'rollback-deployment-id': '',
      'duration-seconds': '83',
      deployments: expect.any(String) as unknown as string,
      summary: 'CodeDeploy shop @ 0123456 succeeded: production: d-SUCCESS01 Succeeded, 2/2 instances succeeded in 83s',
      'application-name': 'shop',
      'deployment-group': 'production',
      result: 'succeeded',
      'rollback-status': '',
      'failed-script': '',
      'log-tail': '',
      'failed-instances': '[]',
      'started-at': '2024-05-01T12:00:00.000Z',
      'ended-at': '2024-05-01T12:01:23.000Z',
      'github-deployment-url': ''
    })
  })

  test('a reused bundle says uploaded false', () => {
    expect(computeOutputs(runReport({ revision: revision({ uploaded: false, version: undefined }) }))).toMatchObject({
      uploaded: 'false',
      'bundle-version': ''
    })
  })

  test('hook failure: error-code and message from the diagnostics, failed instance and event, rollback', () => {
    expect(computeOutputs(scenarios.hookFailure())).toMatchObject({
      'deployment-id': 'd-FAILED001',
      status: 'Failed',
      'error-code': 'ScriptFailed',
      'error-message': 'Script at specified location: scripts/start.sh run as user root failed with exit code 1',
      'failed-instance': 'i-0bbb',
      'failed-event': 'ApplicationStart',
      'rollback-deployment-id': 'd-ROLLBACK1',
      'instances-succeeded': '1',
      'instances-failed': '1',
      summary:
        'CodeDeploy shop @ 0123456 FAILED: production: d-FAILED001 Failed at ApplicationStart on i-0bbb, 1/2 instances succeeded, 1 failed, rollback d-ROLLBACK1 started in 83s'
    })
  })

  test("a failure without instance diagnostics falls back to CodeDeploy's error information", () => {
    const r = failedResult({ instances: [], failures: [] })
    expect(computeOutputs(runReport({ groups: [group(r)] }))).toMatchObject({
      'error-code': 'HEALTH_CONSTRAINTS',
      'error-message': 'The overall deployment failed because too many individual instances failed deployment',
      'failed-instance': ''
    })
  })

  test('input error before any deployment: error-message is the ActionError text, nothing else pretends', () => {
    const outputs = computeOutputs(scenarios.inputError())
    expect(outputs).toEqual({
      'deployment-id': '',
      status: '',
      'deployment-url': '',
      'bundle-uri': '',
      'bundle-etag': '',
      'bundle-version': '',
      'bundle-sha256': '',
      'bundle-size': '',
      uploaded: 'false',
      'appspec-sha256': '',
      sha: '',
      'instances-succeeded': '0',
      'instances-failed': '0',
      'instances-skipped': '0',
      'instances-total': '0',
      'error-code': '',
      'error-message': inputError.describe(),
      'failed-instance': '',
      'failed-event': '',
      'rollback-deployment-id': '',
      'duration-seconds': '',
      deployments: '[]',
      summary: `CodeDeploy: not deployed: ${inputError.describe()}`,
      'application-name': '',
      'deployment-group': '',
      result: 'failed',
      'rollback-status': '',
      'failed-script': '',
      'log-tail': '',
      'failed-instances': '[]',
      'started-at': '',
      'ended-at': '',
      'github-deployment-url': ''
    })
    expect(outputs['error-message']).toMatch(/^Input 'application-name' is required and was not set\. Fix: /)
  })

  test.each([
    ['an AWS-flavoured ActionError keeps its code', awsFlavoured, 'AccessDeniedException', awsFlavoured.describe()],
    ['a plain Error', new TypeError('boom'), 'Error', 'TypeError: boom'],
    ['a thrown string', 'went wrong', 'Error', 'went wrong']
  ])('%s', (_why, error, code, message) => {
    const outputs = computeOutputs(runReport({ groups: [], revision: undefined, error }))
    expect([outputs['error-code'], outputs['error-message']]).toEqual([code, message])
    expect(outputs['summary']).toBe(`CodeDeploy shop @ 0123456 FAILED: production: not deployed: ${message}`)
  })

  test('time-out: last status seen, duration up to the end of the run, summary says timed out', () => {
    expect(computeOutputs(scenarios.timeout())).toMatchObject({
      status: 'InProgress',
      'duration-seconds': '90',
      'instances-total': '2',
      summary: 'CodeDeploy shop @ 0123456 FAILED: production: d-SLOW00001 InProgress (timed out), 1/2 instances succeeded in 90s'
    })
  })

  // A time-out or a cancel has no CodeDeploy message: the step's own diagnosis stands in.
  test('time-out: error-message says the deployment did not end in time', () => {
    expect(computeOutputs(scenarios.timeout())['error-message']).toMatch(/did not end within timeout-minutes \(60\)/)
  })

  test('cancel with the stop requested', () => {
    expect(computeOutputs(scenarios.cancelStopped())).toMatchObject({
      'deployment-id': 'd-CANCEL001',
      status: 'InProgress',
      summary: 'CodeDeploy shop @ 0123456 FAILED: production: d-CANCEL001 Stopped (cancelled), 0/2 instances succeeded in 90s'
    })
  })

  test('two groups: deployments JSON has one entry each; single outputs describe the failed one', () => {
    const outputs = computeOutputs(scenarios.twoGroups())
    expect(JSON.parse(outputs['deployments']!)).toEqual([
      {
        group: 'production',
        'deployment-id': 'd-SUCCESS01',
        status: 'Succeeded',
        url: URL_OF('d-SUCCESS01'),
        'instances-succeeded': 2,
        'instances-failed': 0,
        'instances-skipped': 0,
        'instances-total': 2,
        'failed-instance': null,
        'failed-event': null,
        'deployment-config': 'CodeDeployDefault.OneAtATime',
        'rollback-deployment-id': null,
        'rollback-status': null
      },
      {
        group: 'staging',
        'deployment-id': 'd-STAGING01',
        status: 'Failed',
        url: URL_OF('d-STAGING01'),
        'instances-succeeded': 1,
        'instances-failed': 1,
        'instances-skipped': 0,
        'instances-total': 2,
        'failed-instance': 'i-0bbb',
        'failed-event': 'ApplicationStart',
        'deployment-config': 'CodeDeployDefault.OneAtATime',
        'rollback-deployment-id': 'd-ROLLBACK1',
        'rollback-status': null
      }
    ])
    expect(outputs).toMatchObject({
      'deployment-id': 'd-STAGING01',
      status: 'Failed',
      'instances-succeeded': '3',
      'instances-failed': '1',
      'instances-total': '4',
      'duration-seconds': '120',
      summary:
        'CodeDeploy shop @ 0123456 FAILED: production: d-SUCCESS01 Succeeded, 2/2 instances succeeded; staging: d-STAGING01 Failed at ApplicationStart on i-0bbb, 1/2 instances succeeded, 1 failed, rollback d-ROLLBACK1 started in 120s'
    })
  })

  test('a group never created is named in the summary line', () => {
    const error = new ActionError('Creating the deployment failed: DeploymentLimitExceededException', {
      fix: 'wait for the running deployment.'
    })
    const report = runReport({ settings: settings({ deploymentGroups: ['production', 'staging'] }), error })
    expect(summaryLine(report)).toBe(
      `CodeDeploy shop @ 0123456 FAILED: production: d-SUCCESS01 Succeeded, 2/2 instances succeeded; staging: not deployed: ${error.describe()} in 83s`
    )
    expect(summaryLine(report)).toContain(
      'staging: not deployed: Creating the deployment failed: DeploymentLimitExceededException Fix: wait'
    )
  })

  test('the summary line is one line whatever the error text holds', () => {
    const line = summaryLine(runReport({ groups: [], error: new Error('first line\nsecond line\r\n\tthird') }))
    expect(line).not.toMatch(/[\r\n\t]/)
    expect(line).toMatch(/not deployed: first line second line third$/)
  })
})

/** The content of the first fenced block of a Markdown text, read the way CommonMark does. */
function firstFencedBlock(markdown: string): { fence: string; info: string; body: string } {
  const lines = markdown.split('\n')
  const start = lines.findIndex(l => /^`{3,}/.test(l))
  if (start < 0) throw new Error('no fenced block')
  const [, fence = '', info = ''] = /^(`{3,})(.*)$/.exec(lines[start]!)!
  // A closing fence is a run of at least as many backticks, alone on its line.
  const end = lines.findIndex((l, i) => i > start && new RegExp(`^\`{${fence.length},}\\s*$`).test(l))
  if (end < 0) throw new Error('the fenced block is never closed')
  return { fence, info, body: lines.slice(start + 1, end).join('\n') }
}

describe('renderSummary', () => {
  test('success: title, the facts under a real header, the instance table folded', () => {
    const md = renderSummary(scenarios.success())
    expect(md.split('\n')[0]).toBe('## ✅ CodeDeploy: shop → production')
    expect(md).not.toMatch(/^> /m)
    expect(md.split('\n').slice(2, 4)).toEqual(['| Fact | Value |', '|---|---|'])
    for (const row of [
      '| Application | `shop` |',
      `| Commit | \`${SHA}\` |`,
      "| Deployment config | `CodeDeployDefault.OneAtATime` (the group's own) |",
      `| Bundle | \`s3://bundles/shop/${SHA}.zip\` |`,
      '| Uploaded | yes |',
      '| Bundle size | 12,345 bytes |',
      `| Bundle sha256 | \`${'a'.repeat(64)}\` |`,
      '| Object eTag | `9b2cf535f27731c974343645a3985328` |',
      '| Object version | `v1` |',
      '| Duration | 83s |',
      `Deployment [d-SUCCESS01](${URL_OF('d-SUCCESS01')}): **✅ Succeeded**, 2/2 instances succeeded`,
      '| Instance | Status | ApplicationStop | DownloadBundle | BeforeInstall | Install | AfterInstall | ApplicationStart | ValidateService |',
      '| `i-0aaa` | ✅ Succeeded | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s |'
    ])
      expect(md.split('\n')).toContain(row)
  })

  test('hook failure: the diagnosis first, failed instance first, log tail in a fence that survives ```', () => {
    const md = renderSummary(scenarios.hookFailure())
    const lines = md.split('\n')
    expect(lines[0]).toBe('## ❌ CodeDeploy: shop → production')
    expect(lines[2]).toBe('**❌ ApplicationStart failed on `i-0bbb`**: `scripts/start.sh` exited with code 1 (`ScriptFailed`)')
    expect(md).toContain('CodeDeploy: `HEALTH_CONSTRAINTS` The overall deployment failed')
    expect(lines).toContain(`#### ↩️ Rollback deployment [d-ROLLBACK1](${URL_OF('d-ROLLBACK1')})`)
    expect(lines).toContain('CodeDeploy started rollback deployment d-ROLLBACK1.')
    const rows = lines.filter(l => l.startsWith('| `i-'))
    expect(rows).toEqual([
      '| `i-0bbb` | ❌ Failed | ❌ ApplicationStart | 2.0s |',
      '| `i-0bbb` | ❌ Failed | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ❌ 2.0s | ⏭️ |',
      '| `i-0aaa` | ✅ Succeeded | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s | ✅ 2.0s |'
    ])

    const block = firstFencedBlock(md)
    expect(block.fence.length).toBeGreaterThan(3)
    expect(block.info).toBe('text')
    expect(block.body).toBe(LOG_TAIL)
  })

  test('input error before any deployment: the error, no tables', () => {
    const md = renderSummary(scenarios.inputError())
    expect(md.split('\n')[0]).toBe('## ❌ CodeDeploy: codedeploy-action')
    expect(md.split('\n')[2]).toBe(`❌ ${inputError.describe()}`)
    expect(md).not.toContain('| Instance |')
  })

  test('time-out in contact: where it stands, and that it is still running', () => {
    const report = scenarios.timeout()
    report.groups[0]!.result!.lostContact = undefined
    const md = renderSummary(report)
    expect(md).toContain('**⏳ InProgress (still running: the watch timed out)**')
    expect(md).toMatch(
      /^❌ Deployment d-SLOW00001 \(shop\/production\) did not end within timeout-minutes \(60\); last seen InProgress \(1\/2 instances succeeded, 1 in progress\)\. It is still running: https:\/\/\S+\.$/m
    )
  })

  test('time-out after losing contact: the last state seen, and that the state now is unknown, never "still running"', () => {
    const md = renderSummary(scenarios.timeout())
    expect(md).toContain('**⏳ InProgress (state unknown: CodeDeploy could not be reached until the time-out)**')
    expect(md).toMatch(
      /^❌ Deployment d-SLOW00001 \(shop\/production\) did not end within timeout-minutes \(60\) as far as the action saw: last seen InProgress \(1\/2 instances succeeded, 1 in progress\), then CodeDeploy could not be reached \(ThrottlingException: Rate exceeded\), so its state now is unknown\. Check it at https:\/\/\S+\.$/m
    )
    expect(md).not.toMatch(/still running/)
  })

  test('time-out without ever reading the deployment: its state is unknown, nothing else is claimed', () => {
    const report = scenarios.timeout()
    report.groups[0]!.result = result({
      ...report.groups[0]!.result!,
      status: 'Unknown',
      overview: { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 },
      instances: []
    })
    const message = failureMessage(report)
    expect(message).toMatch(
      /^Deployment d-SLOW00001 \(shop\/production\) could not be followed: until timeout-minutes \(60\) ran out, CodeDeploy could not be reached \(ThrottlingException: Rate exceeded\), so its state is unknown\. Check it at https:/
    )
    expect(message).not.toMatch(/still running|last seen/)
    expect(renderSummary(report)).not.toMatch(/still running/)
  })

  test('cancel with stop requested', () => {
    const md = renderSummary(scenarios.cancelStopped())
    expect(md).toContain('(stopped: workflow cancelled)**')
    expect(md).toMatch(
      /^❌ Deployment d-CANCEL001 \(shop\/production\) was stopped because the workflow was cancelled \(last seen InProgress\)\.$/m
    )
  })

  test('cancel with stop-on-cancel false says it is still running', () => {
    const report = scenarios.cancelStopped()
    report.groups[0]!.stopRequested = false
    expect(renderSummary(report)).toMatch(
      /is still InProgress: the workflow was cancelled and stop-on-cancel is false\. Follow it at https:/
    )
  })

  test("two groups: a section each, the failed group's diagnosis first", () => {
    const md = renderSummary(scenarios.twoGroups())
    expect(md.split('\n')[0]).toBe('## ❌ CodeDeploy: shop → production, staging')
    expect(md).toContain('### Deployment group `production`')
    expect(md).toContain('### Deployment group `staging`')
    expect(md.split('\n')[2]).toBe(
      '**❌ `staging`: ApplicationStart failed on `i-0bbb`**: `scripts/start.sh` exited with code 1 (`ScriptFailed`)'
    )
  })

  test('text from the service cannot break the Markdown table or inject HTML', () => {
    const r = failedResult({ errorMessage: 'bad | pipe <script>alert(1)</script>' })
    const md = renderSummary(runReport({ groups: [group(r)] }))
    expect(md).not.toContain('<script>')
    expect(md).toContain('bad &#124; pipe &#60;script&#62;')
  })

  test('every instance folded, failed ones first; a smaller cap leaves a note for the rest', () => {
    const instances = Array.from({ length: 60 }, (_, i) =>
      instance(
        `i-${String(i).padStart(3, '0')}`,
        i === 57
          ? { event: 'AfterInstall', diagnostics: { errorCode: 'ScriptFailed', scriptName: 'x.sh', message: 'm', logTail: undefined } }
          : undefined
      )
    )
    const report = runReport({ groups: [group(result({ status: 'Failed', instances, failures: failuresOf(instances) }))] })
    // Matrix rows: an instance and a cell per lifecycle event.
    const matrixRows = (md: string): string[] => md.split('\n').filter(l => l.startsWith('| `i-') && l.split(' | ').length === 9)
    expect(matrixRows(renderSummary(report))).toHaveLength(60)
    const md = renderSummary(report, { matrixRows: 50 })
    const rows = matrixRows(md)
    expect(rows).toHaveLength(50)
    expect(rows[0]).toMatch(/^\| `i-057` \| ❌ Failed/)
    expect(md).toContain('…and 10 more instances (see the log).')
  })
})
