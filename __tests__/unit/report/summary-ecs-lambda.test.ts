/**
 * The report of an ECS or Lambda deployment (outputs.ts, summary.ts, summary-ecs-lambda.ts,
 * outcome.ts): the AppSpec in place of the bundle, the target's events and traffic, and a
 * rollback told in terms of traffic.
 */
import type { DeploymentResult, InstanceState, LambdaTraffic } from '../../../src/watch/deployment-result.js'
import type { DeployedAppSpec } from '../../../src/report/run-report.js'
import { failureMessage } from '../../../src/report/diagnosis.js'
import { computeOutputs } from '../../../src/report/outputs.js'
import { renderSummary } from '../../../src/report/summary.js'
import { group, result, runReport, settings, T0 } from '../../helpers/report.js'
import { ECS_EVENTS } from '../../helpers/codedeploy.js'

const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42'
const SHA256 = 'e'.repeat(64)
const at = (s: number): Date => new Date(T0 + s * 1000)

const ecsAppSpec: DeployedAppSpec = {
  path: 'deploy/appspec.yaml',
  content: 'version: 0.0\n',
  sha256: SHA256,
  checked: {
    platform: 'ECS',
    ecs: { taskDefinition: ARN, containerName: 'web', containerPort: 8080 },
    lambda: undefined,
    hooks: [{ event: 'AfterAllowTraffic', function: 'Verify' }],
    warnings: []
  }
}

function ecsTarget(status: string, failAt?: string): InstanceState {
  let failed = false
  const events = ECS_EVENTS.map((name, i) => {
    if (failed) return { name, status: 'Skipped', startTime: undefined, endTime: undefined, diagnostics: undefined }
    failed = name === failAt
    return failed
      ? {
          name,
          status: 'Failed',
          startTime: at(i),
          endTime: at(i + 1),
          diagnostics: {
            errorCode: 'UnknownError',
            scriptName: 'Verify',
            message: 'Verify reported Failed.',
            logTail: 'GET /health -> 503'
          }
        }
      : { name, status: 'Succeeded', startTime: at(i), endTime: at(i + (name === 'AllowTraffic' ? 300 : 1)), diagnostics: undefined }
  })
  const done = status === 'Succeeded'
  return {
    id: 'main:web',
    status,
    events,
    traffic: {
      platform: 'ECS',
      seen: done ? [0, 10, 100] : [0, 10, 100, 0],
      taskSets: [
        {
          id: 'ecs-svc/111',
          label: 'Blue',
          status: done ? 'DRAINING' : 'PRIMARY',
          trafficWeight: done ? 0 : 100,
          desiredCount: done ? 0 : 2,
          runningCount: done ? 0 : 2,
          pendingCount: 0,
          targetGroup: 'web-tg-1'
        },
        {
          id: 'ecs-svc/222',
          label: 'Green',
          status: done ? 'PRIMARY' : 'DRAINING',
          trafficWeight: done ? 100 : 0,
          desiredCount: 2,
          runningCount: done ? 2 : 0,
          pendingCount: 0,
          targetGroup: 'web-tg-2'
        }
      ]
    }
  }
}

const one = { Pending: 0, InProgress: 0, Succeeded: 1, Failed: 0, Skipped: 0, Ready: 0 }
const ecsResult = (overrides: Partial<DeploymentResult> = {}): DeploymentResult =>
  result({
    computePlatform: 'ECS',
    overview: one,
    instances: [ecsTarget('Succeeded')],
    deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
    ...overrides
  })
const ecsReport = (r: DeploymentResult) =>
  runReport({
    settings: settings({ applicationName: 'web', s3Bucket: '' }),
    revision: undefined,
    appspec: ecsAppSpec,
    computePlatform: 'ECS',
    groups: [group(r)]
  })

describe('an ECS deployment that succeeded', () => {
  test("outputs: no bundle, the AppSpec's sha256, the target counted, the traffic in the chat line", () => {
    expect(computeOutputs(ecsReport(ecsResult()))).toMatchObject({
      'bundle-uri': '',
      'bundle-etag': '',
      'bundle-version': '',
      'bundle-sha256': '',
      'bundle-size': '',
      uploaded: 'false',
      'appspec-sha256': SHA256,
      'instances-succeeded': '1',
      'instances-total': '1',
      summary:
        'CodeDeploy web @ 0123456 succeeded: production: d-SUCCESS01 Succeeded, 1/1 targets succeeded, traffic Blue 0% / Green 100% in 83s'
    })
  })

  test('summary: the AppSpec facts instead of the bundle, the events, the task sets and the traffic seen', () => {
    const md = renderSummary(ecsReport(ecsResult()))
    expect(md).not.toContain('Bundle')
    for (const row of [
      '| Compute platform | ECS |',
      '| AppSpec | `deploy/appspec.yaml` (sent as content: nothing uploaded) |',
      `| AppSpec sha256 | \`${SHA256}\` |`,
      `| Task definition | \`${ARN}\` |`,
      '| Container | `web:8080` |',
      '| Hooks | AfterAllowTraffic: `Verify` |',
      '#### ECS service `main:web`: ✅ Succeeded',
      '| AllowTraffic | ✅ Succeeded | 300.0s |',
      '| Blue `ecs-svc/111` | DRAINING | 0% | 0/0 | `web-tg-1` |',
      '| Green `ecs-svc/222` | PRIMARY | 100% | 2/2 | `web-tg-2` |',
      'Traffic on Green, as the watch saw it: 0% → 10% → 100%'
    ])
      expect(md.split('\n')).toContain(row)
    expect(md).toContain('1/1 targets succeeded')
    // The EC2/on-premises instance table is not used for a service.
    expect(md).not.toContain('| Instance |')
  })
})

describe('an ECS deployment whose hook failed, and its rollback', () => {
  const failed = (): DeploymentResult =>
    ecsResult({
      deploymentId: 'd-FAILED001',
      status: 'Failed',
      overview: { ...one, Succeeded: 0, Failed: 1 },
      instances: [ecsTarget('Failed', 'AfterAllowTraffic')],
      failures: [
        {
          instanceId: 'main:web',
          event: 'AfterAllowTraffic',
          errorCode: 'UnknownError',
          scriptName: 'Verify',
          message: 'Verify reported Failed.',
          logTail: 'GET /health -> 503'
        }
      ],
      errorCode: 'HOOK_EXECUTION_FAILURE',
      errorMessage: 'The AfterAllowTraffic hook failed.',
      rollbackDeploymentId: 'd-ROLLBACK1',
      rollback: ecsResult({ deploymentId: 'd-ROLLBACK1', instances: [{ ...ecsTarget('Succeeded'), id: 'main:web' }] })
    })

  test('the diagnosis names the hook function and says where production traffic is', () => {
    const report = ecsReport(failed())
    expect(failureMessage(report)).toContain(
      'AfterAllowTraffic failed on main:web (UnknownError in hook function Verify): Verify reported Failed.'
    )
    expect(failureMessage(report)).toContain(
      'Rolled back: rollback deployment d-ROLLBACK1 Succeeded (1/1 targets succeeded), so production traffic is back on the original task set.'
    )
    expect(computeOutputs(report)).toMatchObject({
      'failed-instance': 'main:web',
      'failed-event': 'AfterAllowTraffic',
      'error-code': 'UnknownError',
      'rollback-deployment-id': 'd-ROLLBACK1'
    })
    const md = renderSummary(report)
    expect(md.split('\n')[2]).toBe(
      '**❌ AfterAllowTraffic failed on `main:web`** in hook function `Verify` (`UnknownError`): Verify reported Failed.'
    )
    expect(md).toContain('| AfterAllowTraffic | ❌ Failed | 1.0s |')
    expect(md).toContain('Traffic on Green, as the watch saw it: 0% → 10% → 100% → 0%')
  })
})

describe('a Lambda deployment', () => {
  const lambda = (weight: number, current = '3', target = '4'): LambdaTraffic => ({
    platform: 'Lambda',
    functionName: 'orders',
    alias: 'live',
    currentVersion: current,
    targetVersion: target,
    targetVersionWeight: weight,
    seen: [10, 40, 70, weight]
  })
  const target = (status: string, traffic: LambdaTraffic): InstanceState => ({
    id: 'orders:live',
    status,
    events: [{ name: 'AllowTraffic', status, startTime: at(0), endTime: at(540), diagnostics: undefined }],
    traffic
  })

  test('the versions table and the rollback that points the alias back', () => {
    const appspec: DeployedAppSpec = {
      ...ecsAppSpec,
      path: 'appspec.json',
      checked: {
        platform: 'Lambda',
        ecs: undefined,
        lambda: { name: 'orders', alias: 'live', currentVersion: '3', targetVersion: '4' },
        hooks: [],
        warnings: []
      }
    }
    const r = result({
      computePlatform: 'Lambda',
      status: 'Failed',
      overview: { ...one, Succeeded: 0, Failed: 1 },
      instances: [target('Failed', lambda(0))],
      rollbackDeploymentId: 'd-ROLLBACK1',
      rollback: result({
        deploymentId: 'd-ROLLBACK1',
        computePlatform: 'Lambda',
        overview: one,
        instances: [target('Succeeded', lambda(100, '4', '3'))]
      })
    })
    const report = runReport({ revision: undefined, appspec, computePlatform: 'Lambda', groups: [group(r)] })
    expect(failureMessage(report)).toContain('so alias live points at version 3 again.')
    const md = renderSummary(report)
    for (const row of [
      '| Function | `orders` alias `live` |',
      '| Versions | 3 → 4 |',
      '| Hooks | none |',
      '#### Lambda alias `orders:live`: ❌ Failed',
      '| 3 | CurrentVersion (traffic moves from it) | 100% |',
      '| 4 | TargetVersion (traffic moves to it) | 0% |',
      'Traffic on version 4, as the watch saw it: 10% → 40% → 70% → 0%'
    ]) {
      expect(md.split('\n')).toContain(row)
    }
    // The rollback's own target: the alias shifted back to version 3.
    expect(md.split('\n')).toContain('| 3 | TargetVersion (traffic moves to it) | 100% |')
    expect(computeOutputs(report).summary).toMatch(
      /production: d-SUCCESS01 Failed, 0\/1 targets succeeded, 1 failed, traffic version 3 100% \/ version 4 0%, rollback d-ROLLBACK1 Succeeded in \d+s$/
    )
  })
})
