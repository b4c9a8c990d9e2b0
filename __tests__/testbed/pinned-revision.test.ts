// The test bed behaves as S3 and CodeDeploy do for a revision pinned by eTag: a rollback redeploys
// the group's last successful revision by eTag (and version), so an object replaced in place
// makes it fail at DownloadBundle, as the agent fails; in a versioned bucket the old version is
// still there. Also: S3's conditional writes, bucket versioning and archived objects.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  UploadPartCommand
} from '@aws-sdk/client-s3'
import { CodeDeployClient, CreateDeploymentCommand, GetDeploymentCommand, type DeploymentInfo } from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'

let tb: Testbed
let cd: CodeDeployClient
let bundle: typeof import('../../testbed/harness/bundle.mjs')
const BUCKET = 'pinned'

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  bundle = await import('../../testbed/harness/bundle.mjs')
  tb = await startTestbed({ stepMs: 10 })
  const credentials = { accessKeyId: tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  cd = new CodeDeployClient({ endpoint: tb.codedeploy.endpoint, region: 'us-east-1', credentials })
  tb.codedeploy.addApplication({ name: 'pin' })
})
afterAll(async () => {
  cd?.destroy()
  await tb?.stop()
})

/** The DownloadBundle event of a deployment's first instance, as the simulator recorded it. */
function downloadBundle(deploymentId: string) {
  return tb.codedeploy.deployment(deploymentId).instances[0]?.events.find(e => e.lifecycleEventName === 'DownloadBundle')
}

let seq = 0
async function freshBucket(): Promise<string> {
  const name = `${BUCKET}-${++seq}`
  await tb.s3.createBucket(name)
  return name
}

function app(version: string): Buffer {
  return bundle.makeZip({
    'appspec.yml': bundle.appspecYaml({ ApplicationStart: 'scripts/start.sh' }),
    'scripts/start.sh': '#!/bin/sh\necho started\n',
    'index.js': `console.log(${JSON.stringify(version)})\n`
  })
}

async function put(bucket: string, key: string, body: Buffer, condition: { IfNoneMatch?: string } = {}) {
  return tb.s3.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...condition }))
}

async function deploy(group: string, bucket: string, key: string, eTag: string, version?: string): Promise<DeploymentInfo> {
  const { deploymentId } = await cd.send(
    new CreateDeploymentCommand({
      applicationName: 'pin',
      deploymentGroupName: group,
      revision: { revisionType: 'S3', s3Location: { bucket, key, bundleType: 'zip', eTag, ...(version ? { version } : {}) } }
    })
  )
  await tb.codedeploy.waitForEnd(deploymentId!)
  return (await cd.send(new GetDeploymentCommand({ deploymentId: deploymentId! }))).deploymentInfo!
}

/** v1 succeeds; the key is written again with v2's bytes; v2 fails, and its rollback redeploys v1 by eTag. */
async function rollbackAfterRewrite(bucket: string): Promise<DeploymentInfo> {
  const group = `g-${++seq}`
  tb.codedeploy.addDeploymentGroup({ applicationName: 'pin', name: group, instances: 2, autoRollback: true })
  const v1 = await put(bucket, 'app/abc.zip', app('v1'))
  expect((await deploy(group, bucket, 'app/abc.zip', v1.ETag!, v1.VersionId)).status).toBe('Succeeded')
  const v2 = await put(bucket, 'app/abc.zip', app('v2'))
  tb.codedeploy.failHook({ event: 'ApplicationStart', deploymentGroupName: group })
  const failed = await deploy(group, bucket, 'app/abc.zip', v2.ETag!, v2.VersionId)
  expect(failed.status).toBe('Failed')
  const rollbackId = failed.rollbackInfo?.rollbackDeploymentId
  expect(rollbackId).toMatch(/^d-/)
  await tb.codedeploy.waitForEnd(rollbackId!)
  return (await cd.send(new GetDeploymentCommand({ deploymentId: rollbackId! }))).deploymentInfo!
}

describe('a rollback redeploys the last successful revision by eTag', () => {
  test('unversioned bucket, object replaced in place: the rollback fails at DownloadBundle as the agent does', async () => {
    const bucket = await freshBucket()
    const rollback = await rollbackAfterRewrite(bucket)
    expect(rollback.status).toBe('Failed')
    const download = downloadBundle(rollback.deploymentId!)
    expect(download?.status).toBe('Failed')
    expect(download?.diagnostics?.message).toMatch(
      /^Expected deployment artifact bundle etag "[0-9a-f]{32}" but was actually "[0-9a-f]{32}"$/
    )
  })

  test('versioned bucket: the new bytes are a new version, and the rollback gets v1 back', async () => {
    const bucket = await freshBucket()
    tb.s3.setVersioning(bucket, 'Enabled')
    expect((await rollbackAfterRewrite(bucket)).status).toBe('Succeeded')
  })
})

describe('an Auto Scaling scale-out deploys the last successful revision by eTag', () => {
  /** v1 succeeds; the key is written again with other bytes (no deployment); then the group scales out. */
  async function scaleOutAfterRewrite(bucket: string): Promise<DeploymentInfo> {
    const group = `g-${++seq}`
    tb.codedeploy.addDeploymentGroup({ applicationName: 'pin', name: group, instances: 2 })
    const v1 = await put(bucket, 'app/def.zip', app('v1'))
    expect((await deploy(group, bucket, 'app/def.zip', v1.ETag!, v1.VersionId)).status).toBe('Succeeded')
    await put(bucket, 'app/def.zip', app('v2, built again'))
    const id = tb.codedeploy.scaleOut('pin', group)
    await tb.codedeploy.waitForEnd(id)
    return (await cd.send(new GetDeploymentCommand({ deploymentId: id }))).deploymentInfo!
  }

  test('unversioned bucket, object replaced in place: the new instances fail at DownloadBundle', async () => {
    const scaleOut = await scaleOutAfterRewrite(await freshBucket())
    expect([scaleOut.creator, scaleOut.status]).toEqual(['autoscaling', 'Failed'])
    expect(downloadBundle(scaleOut.deploymentId!)?.diagnostics?.message).toMatch(
      /^Expected deployment artifact bundle etag "[0-9a-f]{32}" but was actually "[0-9a-f]{32}"$/
    )
  })

  test('versioned bucket: the scale-out gets v1 by its version and succeeds', async () => {
    const bucket = await freshBucket()
    tb.s3.setVersioning(bucket, 'Enabled')
    const scaleOut = await scaleOutAfterRewrite(bucket)
    expect([scaleOut.creator, scaleOut.status]).toEqual(['autoscaling', 'Succeeded'])
  })

  test('a group with no successful revision has nothing to scale out with', () => {
    tb.codedeploy.addDeploymentGroup({ applicationName: 'pin', name: 'never-deployed', instances: 1 })
    expect(() => tb.codedeploy.scaleOut('pin', 'never-deployed')).toThrow(/no successful revision/)
  })
})

describe('S3 as the action meets it', () => {
  test('If-None-Match: * on PutObject: of two racing writers one wins, the other gets 412', async () => {
    const bucket = await freshBucket()
    const results = await Promise.allSettled([1, 2].map(i => put(bucket, 'k', Buffer.alloc(1000, i), { IfNoneMatch: '*' })))
    expect(results.map(r => r.status).sort()).toEqual(['fulfilled', 'rejected'])
    const lost = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    expect(lost?.reason).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
  })

  test('If-None-Match: * on CompleteMultipartUpload: 412 when the key exists, and the upload stays open', async () => {
    const bucket = await freshBucket()
    await put(bucket, 'k', Buffer.from('first'))
    const s3 = tb.s3.client
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'k' }))
    const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: 'k', UploadId, PartNumber: 1, Body: Buffer.from('second') }))
    const error = await s3
      .send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: 'k',
          UploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag! }] }
        })
      )
      .catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } })
    expect((await tb.s3.getObject(bucket, 'k')).body.toString()).toBe('first')
    expect((await tb.s3.listMultipartUploads(bucket)).map(u => u.uploadId)).toEqual([UploadId])
  })

  test('GetBucketVersioning / PutBucketVersioning, version ids, and GET of an earlier version', async () => {
    const bucket = await freshBucket()
    const s3 = tb.s3.client
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBeUndefined()
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }))
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: bucket }))).Status).toBe('Enabled')
    const one = await put(bucket, 'k', Buffer.from('one'))
    const two = await put(bucket, 'k', Buffer.from('two'))
    expect([one.VersionId, two.VersionId].every(v => typeof v === 'string' && v.length > 0)).toBe(true)
    const old = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: one.VersionId }))
    expect([await old.Body!.transformToString(), old.ETag, old.VersionId]).toEqual(['one', one.ETag, one.VersionId])
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: 'k' }))
    expect([head.ETag, head.VersionId]).toEqual([two.ETag, two.VersionId])
    const missing = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'k', VersionId: 'nope' })).catch((e: unknown) => e)
    expect(missing).toMatchObject({ name: 'NoSuchVersion' })
  })

  test('an archived object: HEAD tells its class, GET fails with InvalidObjectState, and so does DownloadBundle', async () => {
    const bucket = await freshBucket()
    const v1 = await put(bucket, 'app/abc.zip', app('v1'))
    tb.s3.setStorageClass(bucket, 'app/abc.zip', { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'DEEP_ARCHIVE_ACCESS' })
    const head = await tb.s3.client.send(new HeadObjectCommand({ Bucket: bucket, Key: 'app/abc.zip' }))
    expect([head.StorageClass, head.ArchiveStatus]).toEqual(['INTELLIGENT_TIERING', 'DEEP_ARCHIVE_ACCESS'])
    const get = await tb.s3.client.send(new GetObjectCommand({ Bucket: bucket, Key: 'app/abc.zip' })).catch((e: unknown) => e)
    expect(get).toMatchObject({ name: 'InvalidObjectState', $metadata: { httpStatusCode: 403 } })
    tb.codedeploy.addDeploymentGroup({ applicationName: 'pin', name: 'archived', instances: 1 })
    const failed = await deploy('archived', bucket, 'app/abc.zip', v1.ETag!)
    expect(failed.status).toBe('Failed')
    expect(downloadBundle(failed.deploymentId!)?.diagnostics?.message).toBe("The operation is not valid for the object's storage class")
  })
})
