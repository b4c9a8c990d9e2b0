// The simulator's EC2/on-premises blue/green deployments, ContinueDeployment and the application
// revision operations, driven through the real AWS SDK client.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import {
  CodeDeployClient,
  ContinueDeploymentCommand,
  CreateDeploymentCommand,
  GetApplicationRevisionCommand,
  GetDeploymentCommand,
  ListApplicationRevisionsCommand,
  ListDeploymentTargetsCommand,
  RegisterApplicationRevisionCommand,
  type DeploymentInfo,
  type RevisionLocation
} from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'

let tb: Testbed
let cd: CodeDeployClient
let revision: RevisionLocation
const BUCKET = 'bundles'

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  const { makeZip } = await import('../../testbed/harness/bundle.mjs')
  tb = await startTestbed({ stepMs: 10, trafficMinuteMs: 200 })
  const credentials = { accessKeyId: tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  const s3 = new S3Client({ endpoint: tb.s3.endpoint, region: 'us-east-1', forcePathStyle: true, credentials })
  cd = new CodeDeployClient({ endpoint: tb.codedeploy.endpoint, region: 'us-east-1', credentials })
  await tb.s3.createBucket(BUCKET)
  const put = await s3.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: 'app/a.zip', Body: makeZip({ 'appspec.yml': 'version: 0.0\nos: linux\n' }) })
  )
  s3.destroy()
  revision = { revisionType: 'S3', s3Location: { bucket: BUCKET, key: 'app/a.zip', bundleType: 'zip', eTag: put.ETag!.replace(/"/g, '') } }
  tb.codedeploy.addApplication({ name: 'app' })
  tb.codedeploy.addDeploymentGroup({ applicationName: 'app', name: 'in-place', instances: 1 })
  tb.codedeploy.addDeploymentGroup({
    applicationName: 'app',
    name: 'manual',
    instances: 2,
    blueGreen: { readyAction: 'STOP_DEPLOYMENT', readyMinutes: 1, terminationMinutes: 60 }
  })
})
afterAll(async () => {
  cd.destroy()
  await tb.stop()
})

const get = async (id: string): Promise<DeploymentInfo> => (await cd.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!
async function until(id: string, ok: (d: DeploymentInfo) => boolean, ms = 3000): Promise<DeploymentInfo> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise(r => setTimeout(r, 10))) {
    const d = await get(id)
    if (ok(d)) return d
  }
  throw new Error(`deployment ${id} never got there: ${JSON.stringify(await get(id))}`)
}
const deploy = async (group: string): Promise<string> =>
  (await cd.send(new CreateDeploymentCommand({ applicationName: 'app', deploymentGroupName: group, revision }))).deploymentId!
const refusal = (p: Promise<unknown>): Promise<string | undefined> =>
  p.then(
    () => undefined,
    (e: Error) => e.name
  )

test('manual reroute: replacement fleet Ready, READY_WAIT reroutes, termination wait, TERMINATION_WAIT ends it', async () => {
  const id = await deploy('manual')
  const ready = await until(id, d => d.status === 'Ready')
  expect(ready.deploymentOverview).toMatchObject({ Ready: 2, Pending: 2 })
  expect(ready.deploymentStyle).toEqual({ deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' })
  expect(ready.blueGreenDeploymentConfiguration).toEqual({
    terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 60 },
    deploymentReadyOption: { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 1 }
  })
  const green = await cd.send(new ListDeploymentTargetsCommand({ deploymentId: id, targetFilters: { ServerInstanceLabel: ['Green'] } }))
  expect(green.targetIds).toHaveLength(2)
  expect(green.targetIds).not.toContain('i-0000000000000001')
  expect(await refusal(cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' })))).toBe(
    'DeploymentIsNotInReadyStateException'
  )

  await cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' }))
  const waiting = await until(id, d => d.instanceTerminationWaitTimeStarted === true)
  expect(waiting.status).toBe('InProgress')
  expect(waiting.deploymentOverview).toMatchObject({ Succeeded: 4, Pending: 0, InProgress: 0, Ready: 0 })
  expect(await refusal(cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'READY_WAIT' })))).toBe(
    'DeploymentIsNotInReadyStateException'
  )

  await cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'TERMINATION_WAIT' }))
  expect((await get(id)).status).toBe('Succeeded')
  expect(await refusal(cd.send(new ContinueDeploymentCommand({ deploymentId: id })))).toBe('DeploymentAlreadyCompletedException')
})

test('Ready not rerouted within waitTimeInMinutes: the deployment is stopped, traffic left on the original instances', async () => {
  const id = await deploy('manual')
  const stopped = await until(id, d => d.status === 'Stopped')
  expect(stopped.errorInformation?.code).toBe('TIMEOUT')
  expect(stopped.deploymentOverview).toMatchObject({ Ready: 0, Skipped: 4 })
})

test('ContinueDeployment refuses an in-place deployment and an unknown wait type', async () => {
  const id = await deploy('in-place')
  expect(await refusal(cd.send(new ContinueDeploymentCommand({ deploymentId: id })))).toBe('UnsupportedActionForDeploymentTypeException')
  expect(await refusal(cd.send(new ContinueDeploymentCommand({ deploymentId: id, deploymentWaitType: 'NOW' as 'READY_WAIT' })))).toBe(
    'InvalidDeploymentWaitTypeException'
  )
  await tb.codedeploy.waitForEnd(id, 3000)
})

test('revisions: registered and deployed ones are listed; unknown ones and bad filters are refused', async () => {
  await cd.send(new RegisterApplicationRevisionCommand({ applicationName: 'app', revision, description: 'build 7' }))
  const got = await cd.send(new GetApplicationRevisionCommand({ applicationName: 'app', revision }))
  expect(got.revisionInfo).toMatchObject({ description: 'build 7', registerTime: expect.any(Date) })
  // Deployed to in-place by the test above: it is that group's target revision.
  expect(got.revisionInfo?.deploymentGroups).toContain('in-place')
  const listed = await cd.send(
    new ListApplicationRevisionsCommand({ applicationName: 'app', s3Bucket: BUCKET, s3KeyPrefix: 'app/', deployed: 'include' })
  )
  expect(listed.revisions).toEqual([revision])
  const other = { ...revision, s3Location: { ...revision.s3Location, key: 'app/b.zip' } }
  expect(await refusal(cd.send(new GetApplicationRevisionCommand({ applicationName: 'app', revision: other })))).toBe(
    'RevisionDoesNotExistException'
  )
  expect(await refusal(cd.send(new ListApplicationRevisionsCommand({ applicationName: 'app', s3KeyPrefix: 'app/' })))).toBe(
    'BucketNameFilterRequiredException'
  )
  expect(await refusal(cd.send(new ListApplicationRevisionsCommand({ applicationName: 'app', sortBy: 'name' as 'registerTime' })))).toBe(
    'InvalidSortByException'
  )
  expect(await refusal(cd.send(new RegisterApplicationRevisionCommand({ applicationName: 'nope', revision })))).toBe(
    'ApplicationDoesNotExistException'
  )
})
