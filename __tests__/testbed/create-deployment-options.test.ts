// The simulator's CreateDeployment checks the per-deployment overrides as the service does:
// autoRollbackConfiguration (InvalidAutoRollbackConfigException), overrideAlarmConfiguration
// (InvalidAlarmConfigException, AlarmsLimitExceededException) and updateOutdatedInstancesOnly
// (InvalidUpdateOutdatedInstancesOnlyValueException), so the action cannot send what AWS refuses.
import { CodeDeployClient, CreateDeploymentCommand, type CreateDeploymentCommandInput } from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'

let tb: Testbed
let cd: CodeDeployClient

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  tb = await startTestbed({ stepMs: 20 })
  const credentials = { accessKeyId: tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  cd = new CodeDeployClient({ endpoint: tb.codedeploy.endpoint, region: 'us-east-1', credentials })
})

afterAll(async () => {
  cd?.destroy()
  await tb?.stop()
})

let seq = 0
/** A fresh group each time: an accepted request leaves its deployment active there. */
function create(extra: Partial<CreateDeploymentCommandInput>, computePlatform: 'Server' | 'Lambda' = 'Server') {
  const applicationName = `opts-${++seq}`
  tb.codedeploy.addApplication({ name: applicationName, computePlatform })
  const g = tb.codedeploy.addDeploymentGroup({ applicationName, name: `group-${seq}` })
  const revision: CreateDeploymentCommandInput['revision'] =
    computePlatform === 'Server'
      ? { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'x.zip', bundleType: 'zip' } }
      : {
          revisionType: 'AppSpecContent',
          appSpecContent: {
            content:
              'version: 0.0\nResources:\n  - fn:\n      Type: AWS::Lambda::Function\n      Properties:\n        Name: fn\n        Alias: live\n        CurrentVersion: "1"\n        TargetVersion: "2"\n'
          }
        }
  return cd.send(new CreateDeploymentCommand({ applicationName, deploymentGroupName: g.deploymentGroupName, revision, ...extra }))
}

type Extra = Partial<CreateDeploymentCommandInput>

test.each<[string, Extra]>([
  ['rollback off', { autoRollbackConfiguration: { enabled: false } }],
  [
    'rollback on failure and stop',
    { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] } }
  ],
  ['alarms off, empty list', { overrideAlarmConfiguration: { enabled: false, alarms: [] } }],
  ['alarms off, no list', { overrideAlarmConfiguration: { enabled: false } }],
  ['outdated instances only', { updateOutdatedInstancesOnly: true }]
])('accepted: %s', async (_why, extra) => {
  expect((await create(extra)).deploymentId).toMatch(/^d-/)
})

test.each<[string, Extra, string]>([
  [
    'an unknown rollback event',
    { autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_TIMEOUT' as 'DEPLOYMENT_FAILURE'] } },
    'InvalidAutoRollbackConfigException'
  ],
  ['rollback enabled without events', { autoRollbackConfiguration: { enabled: true } }, 'InvalidAutoRollbackConfigException'],
  [
    'rollback enabled with an empty list',
    { autoRollbackConfiguration: { enabled: true, events: [] } },
    'InvalidAutoRollbackConfigException'
  ],
  ['alarms enabled without alarms', { overrideAlarmConfiguration: { enabled: true, alarms: [] } }, 'InvalidAlarmConfigException'],
  [
    'two alarms of the same name',
    { overrideAlarmConfiguration: { enabled: true, alarms: [{ name: 'cpu' }, { name: 'cpu' }] } },
    'InvalidAlarmConfigException'
  ],
  [
    'eleven alarms',
    { overrideAlarmConfiguration: { enabled: true, alarms: Array.from({ length: 11 }, (_, i) => ({ name: `a${i}` })) } },
    'AlarmsLimitExceededException'
  ]
])('refused: %s', async (_why, extra, error) => {
  await expect(create(extra)).rejects.toMatchObject({ name: error })
})

test('updateOutdatedInstancesOnly true is refused for a Lambda deployment', async () => {
  await expect(create({ updateOutdatedInstancesOnly: true }, 'Lambda')).rejects.toMatchObject({
    name: 'InvalidUpdateOutdatedInstancesOnlyValueException'
  })
})

test('a non-boolean updateOutdatedInstancesOnly is refused (raw JSON, as another client could send it)', async () => {
  tb.codedeploy.addApplication({ name: 'raw-app' })
  tb.codedeploy.addDeploymentGroup({ applicationName: 'raw-app', name: 'raw-group' })
  const res = await fetch(tb.codedeploy.endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'CodeDeploy_20141006.CreateDeployment' },
    body: JSON.stringify({
      applicationName: 'raw-app',
      deploymentGroupName: 'raw-group',
      revision: { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'x.zip', bundleType: 'zip' } },
      updateOutdatedInstancesOnly: 'yes'
    })
  })
  expect(res.status).toBe(400)
  expect(((await res.json()) as { __type: string }).__type).toBe('InvalidUpdateOutdatedInstancesOnlyValueException')
})
