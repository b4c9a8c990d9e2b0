/**
 * The report of the outcomes beyond plain success and failure: a rollback (followed, failed, still
 * running, impossible), a blue/green deployment waiting for a reroute, a success with failed
 * instances, a big fleet; in the step's failure message, the outputs and the job summary.
 */
import { failuresOf, type DeploymentResult, type InstanceState } from '../../../src/watch/deployment-result.js'
import { endNotes } from '../../../src/watch/end-notes.js'
import { failureMessage } from '../../../src/report/diagnosis.js'
import { runSucceeded } from '../../../src/report/run-report.js'
import { computeOutputs } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import { group, instance, result, runReport, settings } from '../../helpers/report.js'

const URL_OF = (id: string): string => `https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/${id}?region=eu-west-1`
const failingAt = (
  id: string,
  event: string,
  message = 'Script at specified location: scripts/start.sh run as user root failed with exit code 1'
): InstanceState =>
  instance(id, { event, diagnostics: { errorCode: 'ScriptFailed', scriptName: 'scripts/start.sh', message, logTail: '[stderr]boom' } })

function failed(rollback: DeploymentResult | undefined, overrides: Partial<DeploymentResult> = {}): DeploymentResult {
  const instances = [instance('i-0aaa'), failingAt('i-0bbb', 'ApplicationStart')]
  return result({
    deploymentId: 'd-FAILED001',
    status: 'Failed',
    errorCode: 'HEALTH_CONSTRAINTS',
    errorMessage: 'too many individual instances failed',
    overview: { Pending: 0, InProgress: 0, Succeeded: 1, Failed: 1, Skipped: 0, Ready: 0 },
    instances,
    failures: failuresOf(instances),
    rollbackDeploymentId: 'd-ROLLBACK1',
    rollback,
    ...overrides
  })
}

const rolledBack = (overrides: Partial<DeploymentResult> = {}): DeploymentResult => result({ deploymentId: 'd-ROLLBACK1', ...overrides })

describe('a rollback', () => {
  test('followed to a successful end: the failure says the last good revision is back', () => {
    const report = runReport({ groups: [group(failed(rolledBack()))] })
    expect(runSucceeded(report)).toBe(false)
    expect(failureMessage(report)).toBe(
      `Deployment d-FAILED001 (shop/production) Failed. ApplicationStart failed on i-0bbb (ScriptFailed in scripts/start.sh): Script at specified location: scripts/start.sh run as user root failed with exit code 1. CodeDeploy says: HEALTH_CONSTRAINTS: too many individual instances failed. Rolled back: rollback deployment d-ROLLBACK1 Succeeded (2/2 instances succeeded), so the last successful revision is back. ${URL_OF('d-FAILED001')}`
    )
    const outputs = computeOutputs(report)
    expect(outputs).toMatchObject({ status: 'Failed', 'rollback-deployment-id': 'd-ROLLBACK1', 'failed-instance': 'i-0bbb' })
    expect(outputs['summary']).toBe(
      'CodeDeploy shop @ 0123456 FAILED: production: d-FAILED001 Failed at ApplicationStart on i-0bbb, 1/2 instances succeeded, 1 failed, rollback d-ROLLBACK1 Succeeded in 83s'
    )
    expect(JSON.parse(outputs['deployments']!)[0]).toMatchObject({
      'rollback-deployment-id': 'd-ROLLBACK1',
      'rollback-status': 'Succeeded'
    })
    const md = renderSummary(report).split('\n')
    expect(md).toContain(`#### ↩️ Rollback deployment [d-ROLLBACK1](${URL_OF('d-ROLLBACK1')}): ✅ Succeeded`)
    expect(md).toContain(
      'Rolled back: rollback deployment d-ROLLBACK1 Succeeded (2/2 instances succeeded), so the last successful revision is back.'
    )
  })

  test("that failed too: both failures told, the rollback's own in its section", () => {
    const rbInstances = [failingAt('i-0aaa', 'BeforeInstall', 'disk full'), instance('i-0bbb')]
    const rb = rolledBack({
      status: 'Failed',
      instances: rbInstances,
      failures: failuresOf(rbInstances),
      overview: { Pending: 0, InProgress: 0, Succeeded: 1, Failed: 1, Skipped: 0, Ready: 0 }
    })
    const report = runReport({ groups: [group(failed(rb))] })
    expect(failureMessage(report)).toContain(
      'The rollback did not succeed either: rollback deployment d-ROLLBACK1 Failed, BeforeInstall failed on i-0aaa: disk full.'
    )
    expect(computeOutputs(report)['summary']).toContain(', rollback d-ROLLBACK1 Failed in')
    const md = renderSummary(report)
    const section = md.slice(md.indexOf('#### ↩️ Rollback deployment'))
    expect(section).toMatch(/^#### ↩️ Rollback deployment \[d-ROLLBACK1\]\(.*\): ❌ Failed$/m)
    expect(section).toContain('#### ❌ `i-0aaa` failed BeforeInstall')
  })

  test('still running at the time-out, or when the watch ended', () => {
    const running = rolledBack({
      status: 'InProgress',
      final: false,
      timedOut: true,
      completeTime: undefined,
      overview: { Pending: 1, InProgress: 1, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 0 }
    })
    const report = runReport({ groups: [group(failed(running))] })
    expect(failureMessage(report)).toContain(
      'Rollback deployment d-ROLLBACK1 was still InProgress at the time-out (0/2 instances succeeded, 1 in progress, 1 pending).'
    )
    expect(computeOutputs(report)['summary']).toContain(', rollback d-ROLLBACK1 InProgress (still running) in')
    const cancelled = runReport({ groups: [group(failed({ ...running, timedOut: false, cancelled: true }))] })
    expect(failureMessage(cancelled)).toContain('Rollback deployment d-ROLLBACK1 was InProgress when the watch ended; it keeps running.')
  })

  test("not possible: CodeDeploy's reason is told", () => {
    const report = runReport({
      groups: [
        group(
          failed(undefined, {
            rollbackDeploymentId: undefined,
            rollbackMessage: 'Automatic rollback was not performed because there is no previous successful deployment.'
          })
        )
      ]
    })
    expect(failureMessage(report)).toContain(
      ' No rollback: Automatic rollback was not performed because there is no previous successful deployment. https://'
    )
    expect(renderSummary(report)).toContain(
      '\nNo rollback: Automatic rollback was not performed because there is no previous successful deployment.\n'
    )
    expect(computeOutputs(report)['rollback-deployment-id']).toBe('')
  })
})

describe('other ends', () => {
  test('Ready (blue/green waiting for a reroute) passes, reported as Ready, with a warning in the summary', () => {
    const ready = result({
      status: 'Ready',
      final: false,
      completeTime: undefined,
      overview: { Pending: 0, InProgress: 0, Succeeded: 0, Failed: 0, Skipped: 0, Ready: 2 }
    })
    const report = runReport({ groups: [group(ready)] })
    expect(runSucceeded(report)).toBe(true)
    const outputs = computeOutputs(report)
    expect(outputs).toMatchObject({ status: 'Ready', 'error-message': '' })
    expect(outputs['summary']).toMatch(
      /^CodeDeploy shop @ 0123456 succeeded: production: d-SUCCESS01 Ready \(waiting for traffic reroute\), 0\/2 instances succeeded in \d+s$/
    )
    const md = renderSummary(report)
    expect(md).toContain('**🟡 Ready (waiting for traffic to be rerouted)**')
    expect(md).toMatch(/^> ⚠️ Deployment d-SUCCESS01 is Ready: .*aws deploy continue-deployment --deployment-id d-SUCCESS01/m)
    // Ready seen at the time-out is still a time-out.
    expect(runSucceeded(runReport({ groups: [group({ ...ready, timedOut: true })] }))).toBe(false)
  })

  test('succeeded with a failed instance: passes, names it, keeps its details', () => {
    const instances = [instance('i-0aaa'), failingAt('i-0bbb', 'AfterInstall'), instance('i-0ccc')]
    const report = runReport({
      groups: [
        group(
          result({
            instances,
            failures: failuresOf(instances),
            overview: { Pending: 0, InProgress: 0, Succeeded: 2, Failed: 1, Skipped: 0, Ready: 0 }
          })
        )
      ]
    })
    expect(runSucceeded(report)).toBe(true)
    const outputs = computeOutputs(report)
    expect(outputs).toMatchObject({
      status: 'Succeeded',
      'failed-instance': 'i-0bbb',
      'failed-event': 'AfterInstall',
      'instances-failed': '1'
    })
    expect(outputs['summary']).toBe(
      'CodeDeploy shop @ 0123456 succeeded: production: d-SUCCESS01 Succeeded with failed instances (first: AfterInstall on i-0bbb), 2/3 instances succeeded, 1 failed in 83s'
    )
    const md = renderSummary(report)
    expect(md.split('\n')[0]).toBe('## ✅ CodeDeploy: shop → production')
    expect(md).toContain(
      "> ⚠️ Deployment d-SUCCESS01 succeeded, but 1 instance(s) failed, which the deployment config's minimum healthy hosts allows: i-0bbb (AfterInstall). Those instances may not run the new revision."
    )
    // The failed instance leads the page, as a warning: the run passed.
    expect(md.split('\n')[2]).toBe('**⚠️ AfterInstall failed on `i-0bbb`**: `scripts/start.sh` exited with code 1 (`ScriptFailed`)')
  })

  test('cancelled: error-message carries the diagnosis', () => {
    const r = result({ status: 'InProgress', final: false, cancelled: true, completeTime: undefined })
    const report = runReport({ cancelled: true, groups: [group(r, { stopRequested: true })] })
    expect(computeOutputs(report)['error-message']).toBe(
      'Deployment d-SUCCESS01 (shop/production) was stopped because the workflow was cancelled (last seen InProgress).'
    )
  })

  test('the deployment config named in the inputs is shown as given', () => {
    const md = renderSummary(runReport({ settings: settings({ deploymentConfig: 'CodeDeployDefault.AllAtOnce' }) }))
    expect(md.split('\n')).toContain('| Deployment config | `CodeDeployDefault.AllAtOnce` |')
  })
})

describe('a big fleet in the summary', () => {
  test('per-event counts, median and slowest instance across all of them', () => {
    const instances = Array.from({ length: 120 }, (_, i) =>
      i === 7 ? failingAt('i-007', 'AfterInstall') : instance(`i-${String(i).padStart(3, '0')}`)
    )
    const report = runReport({
      groups: [
        group(
          result({
            status: 'Succeeded',
            instances,
            failures: failuresOf(instances),
            overview: { Pending: 0, InProgress: 0, Succeeded: 119, Failed: 1, Skipped: 0, Ready: 0 }
          })
        )
      ]
    })
    const md = renderSummary(report).split('\n')
    expect(md).toContain('| Event | ✅ | ❌ | ⏭️ | median | slowest |')
    expect(md).toContain('| AfterInstall | 119 | 1 | 0 | 2.0s | 2.0s on `i-119` |')
    expect(md).toContain('| ApplicationStart | 119 | 0 | 1 | 2.0s | 2.0s on `i-119` |')
    // Every instance in the folded matrix; in sight, only the one that failed.
    expect(md.filter(l => l.startsWith('| `i-') && l.split(' | ').length === 9)).toHaveLength(120)
    expect(md.filter(l => l.startsWith('| `i-') && l.split(' | ').length === 4)).toEqual([
      '| `i-007` | ❌ Failed | ❌ AfterInstall | 2.0s |'
    ])
  })

  test('a small fleet gets no such table', () => {
    expect(renderSummary(runReport())).not.toContain('| Event |')
  })
})

describe('endNotes', () => {
  test('failed instances that could not be read are counted, not named', () => {
    const r = result({ overview: { Pending: 0, InProgress: 0, Succeeded: 8, Failed: 2, Skipped: 0, Ready: 0 } })
    expect(endNotes(r)).toEqual([
      "Deployment d-SUCCESS01 succeeded, but 2 instance(s) failed, which the deployment config's minimum healthy hosts allows: 2 not read. Those instances may not run the new revision."
    ])
    const many = Array.from({ length: 12 }, (_, i) => failingAt(`i-${i}`, 'Install'))
    const named = endNotes(
      result({
        instances: many,
        failures: failuresOf(many),
        overview: { Pending: 0, InProgress: 0, Succeeded: 30, Failed: 12, Skipped: 0, Ready: 0 }
      })
    )[0]
    expect(named).toContain(
      ': i-0 (Install), i-1 (Install), i-2 (Install), i-3 (Install), i-4 (Install), i-5 (Install), i-6 (Install), i-7 (Install), i-8 (Install), i-9 (Install), 2 more.'
    )
  })
})
