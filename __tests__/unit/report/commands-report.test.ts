import { ActionError } from '../../../src/core/errors.js'
import { computeOutputs, summaryLine } from '../../../src/report/outputs.js'
import { runSucceeded } from '../../../src/report/run-report.js'
import { renderSummary } from '../../../src/report/summary.js'
import { group, result, revision, runReport, settings, T0 } from '../../helpers/report.js'

const plan = 'upload the bundle to s3://bundles/shop/x.zip, then deploy it to production with config CodeDeployDefault.OneAtATime'

describe('check and register in the outputs and the summary', () => {
  test('check: status Checked, the plan in the summary line, every fact in the job summary', () => {
    const report = runReport({
      settings: settings({ command: 'check' }),
      command: 'check',
      revision: undefined,
      groups: [],
      check: [
        ['bucket', 'bundles: region eu-west-1, versioning Enabled'],
        ['deploy would', plan]
      ]
    })
    expect(runSucceeded(report)).toBe(true)
    const out = computeOutputs(report)
    expect(out['status']).toBe('Checked')
    expect(out['summary']).toBe(`CodeDeploy shop @ 0123456 checked: ${plan}`)
    const md = renderSummary(report)
    expect(md).toContain('| bucket | bundles: region eu-west-1, versioning Enabled |')
    expect(md).toContain(`| deploy would | ${plan} |`)
  })

  test('a failed check: no status, the error in the summary line', () => {
    const error = new ActionError("deployment group 'prod' does not exist in application 'shop'.", { input: 'deployment-group' })
    const report = runReport({ settings: settings({ command: 'check' }), command: 'check', groups: [], error })
    expect(runSucceeded(report)).toBe(false)
    expect(computeOutputs(report)['status']).toBe('')
    expect(summaryLine(report)).toContain("check FAILED: Input 'deployment-group'")
  })

  test('register: status Registered, the revision and its eTag in the summary line', () => {
    const registered = { location: {}, registerTime: new Date(T0), deploymentGroups: [] }
    const report = runReport({ settings: settings({ command: 'register' }), command: 'register', groups: [], registered })
    expect(computeOutputs(report)['status']).toBe('Registered')
    expect(summaryLine(report)).toBe(
      `CodeDeploy shop @ 0123456 registered: s3://bundles/${revision().key} (eTag ${revision().eTag}, version v1)`
    )
    expect(renderSummary(report)).toContain('| Registered | with application `shop` at ')
  })
})

describe('stop, watch and the blue/green ends', () => {
  test('stop succeeds when the deployment is Stopped, and says stopped', () => {
    const stopped = result({ status: 'Stopped', final: true })
    const report = runReport({
      settings: settings({ command: 'stop', deploymentId: 'd-SUCCESS01' }),
      command: 'stop',
      groups: [group(stopped)]
    })
    expect(runSucceeded(report)).toBe(true)
    expect(summaryLine(report)).toMatch(/^CodeDeploy shop @ 0123456 stopped: production: d-SUCCESS01 Stopped/)
  })

  test('stop fails when the deployment ended otherwise', () => {
    const report = runReport({ settings: settings({ command: 'stop' }), command: 'stop', groups: [group(result())] })
    expect(runSucceeded(report)).toBe(false)
  })

  test('the termination wait: a success, with the time the original environment goes', () => {
    const waiting = result({
      status: 'InProgress',
      final: false,
      terminationWait: { minutes: 30, terminatesAt: new Date(Date.UTC(2026, 10, 30, 21, 5)) }
    })
    const report = runReport({ settings: settings({ command: 'watch' }), command: 'watch', groups: [group(waiting)] })
    expect(runSucceeded(report)).toBe(true)
    expect(summaryLine(report)).toContain('d-SUCCESS01 traffic moved (InProgress: original environment terminated at 2026-11-30 21:05 UTC)')
    const md = renderSummary(report)
    expect(md).toContain('original environment in its termination wait')
    expect(md).toContain('will be terminated at 2026-11-30 21:05 UTC')
  })

  test('a watch that timed out in the termination wait is no success', () => {
    const waiting = result({
      status: 'InProgress',
      final: false,
      timedOut: true,
      terminationWait: { minutes: 30, terminatesAt: undefined }
    })
    expect(runSucceeded(runReport({ settings: settings({ command: 'watch' }), groups: [group(waiting)] }))).toBe(false)
  })
})
