/** CreateDeployment's per-deployment overrides: sent exactly when an input asks for them, in the shape the service takes. */
import { createDeployment, type DeploymentRequest } from '../../../src/deploy/create-deployment.js'
import { FakeClock } from '../../helpers/clock.js'
import { FakeCodeDeploy } from '../../helpers/codedeploy.js'
import { fakeDeps, LineLog } from '../../helpers/deps.js'

const base: DeploymentRequest = {
  applicationName: 'shop',
  group: 'production',
  config: undefined,
  revision: {
    bucket: 'bundles',
    key: 'shop/abc.tar',
    bundleType: 'tar',
    eTag: 'e1',
    version: undefined,
    sha256: undefined,
    size: 1,
    uploaded: false
  },
  description: 'octo/shop@abc',
  fileExistsBehavior: undefined,
  ignoreApplicationStopFailures: false
}

async function sent(overrides: Partial<DeploymentRequest>): Promise<Record<string, unknown>> {
  const clock = new FakeClock()
  const cd = new FakeCodeDeploy({ CreateDeployment: () => ({ deploymentId: 'd-NEW000001' }) })
  await createDeployment(
    { ...base, ...overrides },
    fakeDeps({ codedeploy: cd.client, clock, deadline: clock.now() + 60_000, log: new LineLog() })
  )
  return cd.inputs('CreateDeployment')[0] as Record<string, unknown>
}

test('the group defaults send nothing', async () => {
  const input = await sent({ updateOutdatedInstancesOnly: false, autoRollback: 'group', alarms: 'group' })
  expect(input).not.toHaveProperty('updateOutdatedInstancesOnly')
  expect(input).not.toHaveProperty('autoRollbackConfiguration')
  expect(input).not.toHaveProperty('overrideAlarmConfiguration')
  expect(input['revision']).toMatchObject({ s3Location: { key: 'shop/abc.tar', bundleType: 'tar' } })
})

test.each<[string, Partial<DeploymentRequest>, Record<string, unknown>]>([
  ['outdated instances only', { updateOutdatedInstancesOnly: true }, { updateOutdatedInstancesOnly: true }],
  ['rollback off', { autoRollback: 'off' }, { autoRollbackConfiguration: { enabled: false } }],
  [
    'rollback on two events',
    { autoRollback: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
    { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] } }
  ],
  ['alarms off', { alarms: 'off' }, { overrideAlarmConfiguration: { enabled: false, alarms: [] } }]
])('%s', async (_why, overrides, expected) => {
  expect(await sent(overrides)).toMatchObject(expected)
})
