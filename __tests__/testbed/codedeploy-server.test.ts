// The local AWS test bed (testbed/): s3rver plus the CodeDeploy simulator, driven through the
// real AWS SDK clients exactly as the action drives them.
import { execFileSync } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Readable } from 'node:stream'
import {
  S3Client,
  PutObjectCommand,
  HeadObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
  ListObjectsV2Command
} from '@aws-sdk/client-s3'
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentGroupCommand,
  GetDeploymentConfigCommand,
  GetApplicationCommand,
  ListDeploymentTargetsCommand,
  BatchGetDeploymentTargetsCommand,
  StopDeploymentCommand,
  type CreateDeploymentCommandInput,
  type DeploymentInfo,
  type InstanceTarget
} from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'
import type { BundleFiles } from '../../testbed/harness/bundle.mjs'

let tb: Testbed
let s3: S3Client
let cd: CodeDeployClient
let bundle: typeof import('../../testbed/harness/bundle.mjs')
const BUCKET = 'bundles'
const HEALTH_CONSTRAINTS =
  'The overall deployment failed because too many individual instances failed deployment, too few healthy instances are available for deployment, or some instances in your deployment group are experiencing problems.'
const EVENTS = ['ApplicationStop', 'DownloadBundle', 'BeforeInstall', 'Install', 'AfterInstall', 'ApplicationStart', 'ValidateService']

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  bundle = await import('../../testbed/harness/bundle.mjs')
  tb = await startTestbed({ stepMs: 20 })
  const credentials = { accessKeyId: tb.env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: tb.env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  s3 = new S3Client({
    endpoint: tb.s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
  cd = new CodeDeployClient({ endpoint: tb.codedeploy.endpoint, region: 'us-east-1', credentials })
  await tb.s3.createBucket(BUCKET)
})

afterAll(async () => {
  s3?.destroy()
  cd?.destroy()
  await tb?.stop()
})

let seq = 0
/** A fresh application + deployment group, so tests do not share the one-deployment-per-group rule. */
function group(options: { instances?: number; deploymentConfigName?: string; autoRollback?: boolean } = {}) {
  const applicationName = `app-${++seq}`
  tb.codedeploy.addApplication({ name: applicationName })
  const g = tb.codedeploy.addDeploymentGroup({ applicationName, name: `group-${seq}`, ...options })
  return { applicationName, deploymentGroupName: g.deploymentGroupName, instances: g.instances, deploymentGroupId: g.deploymentGroupId }
}
const names = (g: { applicationName: string; deploymentGroupName: string }) => ({
  applicationName: g.applicationName,
  deploymentGroupName: g.deploymentGroupName
})

/** A small app whose appspec runs scripts/start.sh and scripts/validate.sh. */
function appFiles(extra: BundleFiles = {}): BundleFiles {
  return {
    'appspec.yml': bundle.appspecYaml({ ApplicationStart: 'scripts/start.sh', ValidateService: 'scripts/validate.sh' }),
    'scripts/start.sh': '#!/bin/sh\necho started\n',
    'scripts/validate.sh': '#!/bin/sh\ncurl -f localhost:8080\n',
    'index.js': 'console.log("hello")\n',
    ...extra
  }
}

async function put(key: string, body: Buffer): Promise<string> {
  const res = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
  return res.ETag ?? ''
}

async function deploy(
  g: { applicationName: string; deploymentGroupName: string },
  key: string,
  bundleType: 'zip' | 'tgz',
  eTag?: string,
  extra: Partial<CreateDeploymentCommandInput> = {}
) {
  const res = await cd.send(
    new CreateDeploymentCommand({
      ...names(g),
      revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key, bundleType, ...(eTag ? { eTag } : {}) } },
      ...extra
    })
  )
  return res.deploymentId ?? ''
}

async function info(deploymentId: string): Promise<DeploymentInfo> {
  const res = await cd.send(new GetDeploymentCommand({ deploymentId }))
  return res.deploymentInfo ?? {}
}

/** Every target of a deployment, the way a watcher reads them: list pages, then batches of 25. */
async function targets(deploymentId: string): Promise<InstanceTarget[]> {
  const ids: string[] = []
  let nextToken: string | undefined
  do {
    const page = await cd.send(new ListDeploymentTargetsCommand({ deploymentId, ...(nextToken ? { nextToken } : {}) }))
    ids.push(...(page.targetIds ?? []))
    nextToken = page.nextToken
  } while (nextToken)
  const out: InstanceTarget[] = []
  for (let i = 0; i < ids.length; i += 25) {
    const res = await cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId, targetIds: ids.slice(i, i + 25) }))
    for (const t of res.deploymentTargets ?? []) if (t.instanceTarget) out.push(t.instanceTarget)
  }
  return out
}

const eventsOf = (t: InstanceTarget | undefined) => Object.fromEntries((t?.lifecycleEvents ?? []).map(e => [e.lifecycleEventName, e]))
const statuses = (t: InstanceTarget | undefined) => (t?.lifecycleEvents ?? []).map(e => e.status)

async function until(deploymentId: string, ok: (d: DeploymentInfo) => boolean): Promise<DeploymentInfo> {
  for (let i = 0; i < 500; i++) {
    const d = await info(deploymentId)
    if (ok(d)) return d
    await new Promise(r => setTimeout(r, 10))
  }
  throw new Error(`deployment ${deploymentId} never reached the expected state`)
}

describe('local S3 (s3rver with the testbed fixes)', () => {
  test('objects keep their bytes, ETag and metadata; multipart ETags are S3-style', async () => {
    const body = crypto.randomBytes(1000)
    const etag = await put('s3/small.bin', body)
    expect(etag).toBe(`"${crypto.createHash('md5').update(body).digest('hex')}"`)
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 's3/meta.bin', Body: body, Metadata: { sha256: 'abc123' } }))
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 's3/meta.bin' }))
    expect(head.Metadata).toEqual({ sha256: 'abc123' })
    const got = await tb.s3.getObject(BUCKET, 's3/meta.bin')
    expect(got.body.equals(body)).toBe(true)
    expect(got).toMatchObject({ etag, metadata: { sha256: 'abc123' }, contentLength: 1000 })

    const part1 = crypto.randomBytes(5 * 1024 * 1024)
    const part2 = crypto.randomBytes(777)
    const { UploadId } = await s3.send(
      new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: 's3/multi.bin', Metadata: { sha256: 'def' } })
    )
    const parts = []
    for (const [i, data] of [part1, part2].entries()) {
      const res = await s3.send(new UploadPartCommand({ Bucket: BUCKET, Key: 's3/multi.bin', UploadId, PartNumber: i + 1, Body: data }))
      parts.push({ PartNumber: i + 1, ETag: res.ETag })
    }
    const done = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: 's3/multi.bin', UploadId, MultipartUpload: { Parts: parts } })
    )
    const md5 = (b: Buffer) => crypto.createHash('md5').update(b).digest()
    const expected = `"${crypto
      .createHash('md5')
      .update(Buffer.concat([md5(part1), md5(part2)]))
      .digest('hex')}-2"`
    expect(done.ETag).toBe(expected)
    const multi = await tb.s3.getObject(BUCKET, 's3/multi.bin')
    expect(multi.etag).toBe(expected)
    expect(multi.metadata).toEqual({ sha256: 'def' })
    expect(multi.body.equals(Buffer.concat([part1, part2]))).toBe(true)
    expect(await tb.s3.listKeys(BUCKET)).toEqual(expect.arrayContaining(['s3/small.bin', 's3/meta.bin', 's3/multi.bin']))
  })

  test("a streamed upload in the SDK's default checksum mode (aws-chunked) is stored decoded", async () => {
    const dflt = new S3Client({
      endpoint: tb.s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
    })
    try {
      const body = crypto.randomBytes(200_000)
      await dflt.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: 's3/chunked.bin',
          Body: Readable.from([body.subarray(0, 70_000), body.subarray(70_000)]),
          ContentLength: body.length
        })
      )
      const got = await tb.s3.getObject(BUCKET, 's3/chunked.bin')
      expect(got.contentLength).toBe(body.length)
      expect(got.body.equals(body)).toBe(true)
    } finally {
      dflt.destroy()
    }
  })
})

describe('CodeDeploy simulator', () => {
  test('a zip bundle deploys: Succeeded, every instance through the 7 lifecycle events', async () => {
    const g = group()
    const zip = bundle.makeZip(appFiles())
    const eTag = await put('app/v1.zip', zip)
    expect((await tb.s3.getObject(BUCKET, 'app/v1.zip')).body.equals(zip)).toBe(true)

    const groupInfo = (await cd.send(new GetDeploymentGroupCommand(names(g)))).deploymentGroupInfo
    expect(groupInfo).toMatchObject({
      computePlatform: 'Server',
      deploymentConfigName: 'CodeDeployDefault.OneAtATime',
      deploymentStyle: { deploymentType: 'IN_PLACE', deploymentOption: 'WITHOUT_TRAFFIC_CONTROL' },
      autoRollbackConfiguration: { enabled: false }
    })
    const config = (await cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: 'CodeDeployDefault.HalfAtATime' })))
      .deploymentConfigInfo
    expect(config?.minimumHealthyHosts).toEqual({ type: 'FLEET_PERCENT', value: 50 })

    const id = await deploy(g, 'app/v1.zip', 'zip', eTag, { description: 'v1', fileExistsBehavior: 'OVERWRITE' })
    expect(id).toMatch(/^d-[A-Z0-9]{9}$/)
    expect(['Created', 'InProgress']).toContain((await info(id)).status)
    await tb.codedeploy.waitForEnd(id)
    const d = await info(id)
    expect(d).toMatchObject({
      status: 'Succeeded',
      deploymentId: id,
      ...names(g),
      creator: 'user',
      description: 'v1',
      fileExistsBehavior: 'OVERWRITE',
      computePlatform: 'Server'
    })
    expect(d.revision?.s3Location).toEqual({ bucket: BUCKET, key: 'app/v1.zip', bundleType: 'zip', eTag })
    expect(d.deploymentOverview).toEqual({ Pending: 0, InProgress: 0, Succeeded: 3, Failed: 0, Skipped: 0, Ready: 0 })
    expect(d.createTime).toBeInstanceOf(Date)
    expect(d.completeTime!.getTime()).toBeGreaterThanOrEqual(d.startTime!.getTime())
    expect(d.errorInformation).toBeUndefined()

    const ts = await targets(id)
    expect(ts.map(t => t.targetId).sort()).toEqual([...g.instances].sort())
    for (const t of ts) {
      expect(t.status).toBe('Succeeded')
      expect(t.lifecycleEvents?.map(e => e.lifecycleEventName)).toEqual(EVENTS)
      expect(statuses(t)).toEqual(EVENTS.map(() => 'Succeeded'))
      expect(eventsOf(t)['ApplicationStart']?.diagnostics?.errorCode).toBe('Success')
      expect(t.targetArn).toBe(`arn:aws:ec2:us-east-1:123456789000:instance/${t.targetId}`)
    }
    expect(tb.codedeploy.deployment(id).instances.map(i => i.status)).toEqual(['Succeeded', 'Succeeded', 'Succeeded'])
    expect(
      tb.codedeploy.requests.some(
        r => r.operation === 'CreateDeployment' && r.status === 200 && r.input.deploymentGroupName === g.deploymentGroupName
      )
    ).toBe(true)
  })

  test('failHook: ApplicationStart fails with diagnostics and log tail; OneAtATime skips the rest', async () => {
    const g = group()
    const eTag = await put('fail/v1.zip', bundle.makeZip(appFiles()))
    const logTail = '[stdout]Starting app\n[stderr]Error: listen EADDRINUSE: address already in use :::8080\n'
    tb.codedeploy.failHook({ event: 'ApplicationStart', instanceId: g.instances[1]!, logTail, deploymentGroupName: g.deploymentGroupName })
    const id = await deploy(g, 'fail/v1.zip', 'zip', eTag)
    await tb.codedeploy.waitForEnd(id)
    const d = await info(id)
    expect(d.status).toBe('Failed')
    expect(d.errorInformation).toEqual({ code: 'HEALTH_CONSTRAINTS', message: HEALTH_CONSTRAINTS })
    expect(d.deploymentOverview).toMatchObject({ Succeeded: 1, Failed: 1, Skipped: 1, Pending: 0, InProgress: 0 })
    const byId = new Map((await targets(id)).map(t => [t.targetId, t]))
    const failed = byId.get(g.instances[1]!)
    expect(failed?.status).toBe('Failed')
    expect(eventsOf(failed)['ApplicationStart']).toMatchObject({
      status: 'Failed',
      diagnostics: {
        errorCode: 'ScriptFailed',
        scriptName: 'scripts/start.sh',
        message: 'Script at specified location: scripts/start.sh run as user root failed with exit code 1',
        logTail
      }
    })
    expect(eventsOf(failed)['ValidateService']?.status).toBe('Skipped')
    expect(byId.get(g.instances[0]!)?.status).toBe('Succeeded')
    expect(byId.get(g.instances[2]!)?.status).toBe('Skipped')
    expect(statuses(byId.get(g.instances[2]!))).toEqual(EVENTS.map(() => 'Skipped'))
  })

  test('DownloadBundle fails when the object is missing', async () => {
    const g = group()
    const id = await deploy(g, 'nowhere/missing.zip', 'zip')
    await tb.codedeploy.waitForEnd(id)
    expect((await info(id)).status).toBe('Failed')
    const first = (await targets(id)).find(t => t.targetId === g.instances[0])
    expect(eventsOf(first)['ApplicationStop']?.status).toBe('Succeeded')
    expect(eventsOf(first)['DownloadBundle']).toMatchObject({
      status: 'Failed',
      diagnostics: { errorCode: 'UnknownError', message: 'The specified key does not exist.' }
    })
    expect(eventsOf(first)['BeforeInstall']?.status).toBe('Skipped')
  })

  test('DownloadBundle fails when the eTag no longer matches the object', async () => {
    const g = group()
    const oldTag = await put('etag/app.zip', bundle.makeZip(appFiles()))
    const newTag = await put('etag/app.zip', bundle.makeZip(appFiles({ 'index.js': 'console.log("v2")\n' })))
    expect(newTag).not.toBe(oldTag)
    const id = await deploy(g, 'etag/app.zip', 'zip', oldTag)
    await tb.codedeploy.waitForEnd(id)
    expect((await info(id)).status).toBe('Failed')
    const first = (await targets(id)).find(t => t.targetId === g.instances[0])
    expect(eventsOf(first)['DownloadBundle']).toMatchObject({
      status: 'Failed',
      // The agent's own words (command_executor.rb, download_from_s3): S3's ETag keeps its quotes.
      diagnostics: { errorCode: 'UnknownError', message: `Expected deployment artifact bundle etag ${oldTag} but was actually ${newTag}` }
    })
  })

  test('BeforeInstall fails with the agent message when appspec.yml is not at the bundle root', async () => {
    const g = group()
    const files = appFiles()
    const zip = bundle.makeZip({ 'appspec.yaml': files['appspec.yml']!, 'scripts/start.sh': files['scripts/start.sh']! })
    const id = await deploy(g, 'noappspec/app.zip', 'zip', await put('noappspec/app.zip', zip))
    await tb.codedeploy.waitForEnd(id)
    const first = (await targets(id)).find(t => t.targetId === g.instances[0])
    const dir = `/opt/codedeploy-agent/deployment-root/${g.deploymentGroupId}/${id}/deployment-archive`
    expect(eventsOf(first)['DownloadBundle']?.status).toBe('Succeeded')
    expect(eventsOf(first)['BeforeInstall']).toMatchObject({
      status: 'Failed',
      diagnostics: {
        errorCode: 'UnknownError',
        scriptName: '',
        message:
          'The CodeDeploy agent did not find an AppSpec file within the unpacked revision directory at revision-relative path "appspec.yml". ' +
          `The revision was unpacked to directory "${dir}", and the AppSpec file was expected but not found at path "${dir}/appspec.yml". ` +
          'Consult the AWS CodeDeploy Appspec documentation for more information at http://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file.html'
      }
    })
    expect((await info(id)).status).toBe('Failed')
  })

  test('a hook script missing from the bundle fails its event with ScriptMissing', async () => {
    const g = group()
    const zip = bundle.makeZip({
      ...appFiles(),
      'appspec.yml': bundle.appspecYaml({ BeforeInstall: 'scripts/start.sh', AfterInstall: 'scripts/migrate.sh' })
    })
    const id = await deploy(g, 'noscript/app.zip', 'zip', await put('noscript/app.zip', zip))
    await tb.codedeploy.waitForEnd(id)
    const first = (await targets(id)).find(t => t.targetId === g.instances[0])
    expect(statuses(first)).toEqual(['Succeeded', 'Succeeded', 'Succeeded', 'Succeeded', 'Failed', 'Skipped', 'Skipped'])
    expect(eventsOf(first)['AfterInstall']?.diagnostics).toEqual({
      errorCode: 'ScriptMissing',
      scriptName: 'scripts/migrate.sh',
      message: `Script does not exist at specified location: /opt/codedeploy-agent/deployment-root/${g.deploymentGroupId}/${id}/deployment-archive/scripts/migrate.sh`,
      logTail: ''
    })
  })

  test('a tgz bundle made by GNU tar deploys', async () => {
    const g = group()
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'testbed-tgz-'))
    try {
      for (const [name, content] of Object.entries(appFiles())) {
        fs.mkdirSync(path.dirname(path.join(dir, 'src', name)), { recursive: true })
        fs.writeFileSync(path.join(dir, 'src', name), typeof content === 'string' ? content : '')
      }
      execFileSync('tar', ['-czf', path.join(dir, 'app.tgz'), '-C', path.join(dir, 'src'), '.'])
      const id = await deploy(g, 'tgz/app.tgz', 'tgz', await put('tgz/app.tgz', fs.readFileSync(path.join(dir, 'app.tgz'))))
      await tb.codedeploy.waitForEnd(id)
      expect((await info(id)).status).toBe('Succeeded')
      expect((await targets(id)).every(t => statuses(t).every(s => s === 'Succeeded'))).toBe(true)
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
    // The testbed's own tar writer, with a script missing, fails the way a zip does.
    const g2 = group({ instances: 1 })
    const tgz = bundle.makeTgz({ ...appFiles(), 'appspec.yml': bundle.appspecYaml({ ApplicationStart: 'scripts/absent.sh' }) })
    const id2 = await deploy(g2, 'tgz/broken.tgz', 'tgz', await put('tgz/broken.tgz', tgz))
    await tb.codedeploy.waitForEnd(id2)
    expect(eventsOf((await targets(id2))[0])['ApplicationStart']?.diagnostics?.errorCode).toBe('ScriptMissing')
  })

  test('one active deployment per group: DeploymentLimitExceededException names the active one', async () => {
    const g = group()
    const eTag = await put('busy/app.zip', bundle.makeZip(appFiles()))
    const first = await deploy(g, 'busy/app.zip', 'zip', eTag)
    const err = await deploy(g, 'busy/app.zip', 'zip', eTag).catch((e: Error) => e)
    expect(err).toMatchObject({
      name: 'DeploymentLimitExceededException',
      message: `The Deployment Group '${g.deploymentGroupName}' already has an active Deployment '${first}'`
    })
    await tb.codedeploy.waitForEnd(first)
    const second = await deploy(g, 'busy/app.zip', 'zip', eTag)
    await tb.codedeploy.waitForEnd(second)
    expect((await info(second)).status).toBe('Succeeded')
    expect((await info(second)).previousRevision?.s3Location?.key).toBe('busy/app.zip')
  })

  test('StopDeployment stops a running deployment; stopping it again is rejected', async () => {
    const g = group({ instances: 5 })
    const id = await deploy(g, 'stop/app.zip', 'zip', await put('stop/app.zip', bundle.makeZip(appFiles())))
    await until(id, d => d.status === 'InProgress')
    const res = await cd.send(new StopDeploymentCommand({ deploymentId: id }))
    expect(res.status).toBe('Pending')
    const d = await until(id, x => x.status === 'Stopped')
    expect(d.errorInformation?.code).toBe('MANUAL_STOP')
    expect(d.deploymentOverview?.Skipped).toBeGreaterThanOrEqual(3)
    expect((d.deploymentOverview?.InProgress ?? 0) + (d.deploymentOverview?.Pending ?? 0)).toBe(0)
    const stoppedOne = (await targets(id)).find(t => t.status === 'Failed')
    expect(stoppedOne?.lifecycleEvents?.some(e => e.status === 'Failed')).toBe(true)
    await expect(cd.send(new StopDeploymentCommand({ deploymentId: id }))).rejects.toMatchObject({
      name: 'DeploymentAlreadyCompletedException'
    })
  })

  test('BatchGetDeploymentTargets rejects more than 25 ids', async () => {
    const g = group({ instances: 30, deploymentConfigName: 'CodeDeployDefault.AllAtOnce' })
    const id = await deploy(g, 'batch/app.zip', 'zip', await put('batch/app.zip', bundle.makeZip(appFiles())))
    await until(id, d => d.status !== 'Created')
    const ids = (await cd.send(new ListDeploymentTargetsCommand({ deploymentId: id }))).targetIds ?? []
    expect(ids).toHaveLength(30)
    await expect(cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: ids.slice(0, 26) }))).rejects.toMatchObject({
      name: 'BatchLimitExceededException'
    })
    expect(
      (await cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: ids.slice(0, 25) }))).deploymentTargets
    ).toHaveLength(25)
    await tb.codedeploy.waitForEnd(id)
  })

  test('ListDeploymentTargets pages 250 instances by 100, with a TargetStatus filter', async () => {
    const g = group({ instances: 250, deploymentConfigName: 'CodeDeployDefault.AllAtOnce' })
    const id = await deploy(g, 'paging/app.zip', 'zip', await put('paging/app.zip', bundle.makeZip(appFiles())))
    await tb.codedeploy.waitForEnd(id)
    const pages: number[] = []
    const seen: string[] = []
    let nextToken: string | undefined
    do {
      const page = await cd.send(new ListDeploymentTargetsCommand({ deploymentId: id, ...(nextToken ? { nextToken } : {}) }))
      pages.push(page.targetIds?.length ?? 0)
      seen.push(...(page.targetIds ?? []))
      nextToken = page.nextToken
    } while (nextToken)
    expect(pages).toEqual([100, 100, 50])
    expect(new Set(seen).size).toBe(250)
    expect(seen).toEqual(g.instances)
    const failedOnly = await cd.send(new ListDeploymentTargetsCommand({ deploymentId: id, targetFilters: { TargetStatus: ['Failed'] } }))
    expect(failedOnly.targetIds).toEqual([])
    expect(failedOnly.nextToken).toBeUndefined()
    expect((await info(id)).deploymentOverview?.Succeeded).toBe(250)
  })

  test('1,000 instances AllAtOnce finish quickly; HalfAtATime tolerates one failure in four', async () => {
    const big = group({ instances: 1000, deploymentConfigName: 'CodeDeployDefault.AllAtOnce' })
    const eTag = await put('big/app.zip', bundle.makeZip(appFiles()))
    const started = Date.now()
    const id = await deploy(big, 'big/app.zip', 'zip', eTag)
    await tb.codedeploy.waitForEnd(id, 5000)
    expect(Date.now() - started).toBeLessThan(3000)
    expect((await info(id)).deploymentOverview).toMatchObject({ Succeeded: 1000, Failed: 0 })

    const half = group({ instances: 4, deploymentConfigName: 'CodeDeployDefault.HalfAtATime' })
    tb.codedeploy.failHook({ event: 'AfterInstall', deploymentGroupName: half.deploymentGroupName, errorCode: 'ScriptTimedOut' })
    const tgz = bundle.makeTgz({ ...appFiles(), 'appspec.yml': bundle.appspecYaml({ AfterInstall: 'scripts/start.sh' }) })
    const id2 = await deploy(half, 'big/half.tgz', 'tgz', await put('big/half.tgz', tgz))
    await tb.codedeploy.waitForEnd(id2)
    const d = await info(id2)
    expect(d).toMatchObject({ status: 'Succeeded', deploymentOverview: { Succeeded: 3, Failed: 1 } })
    const failed = (await targets(id2)).find(t => t.status === 'Failed')
    expect(eventsOf(failed)['AfterInstall']?.diagnostics).toMatchObject({
      errorCode: 'ScriptTimedOut',
      message: 'Script at specified location: scripts/start.sh failed to complete in 300 seconds'
    })
  })

  test('auto rollback: a failed deployment is rolled back to the last good revision', async () => {
    const g = group({ autoRollback: true })
    const good = await deploy(g, 'rb/v1.zip', 'zip', await put('rb/v1.zip', bundle.makeZip(appFiles())))
    await tb.codedeploy.waitForEnd(good)
    tb.codedeploy.failHook({ event: 'ValidateService', deploymentGroupName: g.deploymentGroupName })
    const bad = await deploy(g, 'rb/v2.zip', 'zip', await put('rb/v2.zip', bundle.makeZip(appFiles({ 'index.js': 'v2' }))))
    await tb.codedeploy.waitForEnd(bad)
    const failed = await info(bad)
    expect(failed.status).toBe('Failed')
    const rollbackId = failed.rollbackInfo?.rollbackDeploymentId ?? ''
    expect(rollbackId).toMatch(/^d-/)
    expect(failed.rollbackInfo?.rollbackMessage).toContain(rollbackId)
    await tb.codedeploy.waitForEnd(rollbackId)
    const rollback = await info(rollbackId)
    expect(rollback).toMatchObject({
      status: 'Succeeded',
      creator: 'codeDeployRollback',
      rollbackInfo: { rollbackTriggeringDeploymentId: bad }
    })
    expect(rollback.revision?.s3Location?.key).toBe('rb/v1.zip')
  })

  test('injected faults: a throttle reaches the SDK as ThrottlingException; 5xx and resets are retried', async () => {
    const g = group()
    const once = new CodeDeployClient({
      endpoint: tb.codedeploy.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1
    })
    try {
      tb.codedeploy.injectFault({ operation: 'GetApplication', kind: 'throttle', count: 1 })
      const err = await once.send(new GetApplicationCommand({ applicationName: g.applicationName })).catch(e => e)
      expect(err).toMatchObject({ name: 'ThrottlingException', message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })
      const last = tb.codedeploy.requests.at(-1)
      expect(last).toMatchObject({ operation: 'GetApplication', status: 400, fault: 'throttle' })
      expect((await once.send(new GetApplicationCommand({ applicationName: g.applicationName }))).application?.applicationName).toBe(
        g.applicationName
      )
    } finally {
      once.destroy()
    }
    const before = tb.codedeploy.requests.length
    tb.codedeploy.injectFault({ operation: '*', kind: '5xx', count: 1 })
    tb.codedeploy.injectFault({ operation: 'GetApplication', kind: 'reset', count: 1 })
    const res = await cd.send(new GetApplicationCommand({ applicationName: g.applicationName }))
    expect(res.$metadata.attempts).toBe(3)
    expect(tb.codedeploy.requests.slice(before).map(r => [r.operation, r.status])).toEqual([
      ['GetApplication', 500],
      ['GetApplication', 0],
      ['GetApplication', 200]
    ])
  })

  test('wire protocol: AWS JSON 1.1 errors, epoch-second timestamps, unknown operations', async () => {
    const g = group()
    const call = (target: string, body: unknown) =>
      fetch(tb.codedeploy.endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': target },
        body: JSON.stringify(body)
      })
    const unknown = await call('CodeDeploy_20141006.DoSomethingElse', {})
    expect(unknown.status).toBe(400)
    expect(unknown.headers.get('x-amzn-errortype')).toBe('UnknownOperationException')
    expect(await unknown.json()).toMatchObject({ __type: 'UnknownOperationException' })
    const missing = await call('CodeDeploy_20141006.GetDeploymentGroup', {
      applicationName: g.applicationName,
      deploymentGroupName: 'nope'
    })
    expect(missing.headers.get('content-type')).toBe('application/x-amz-json-1.1')
    expect(await missing.json()).toEqual({
      __type: 'DeploymentGroupDoesNotExistException',
      message: 'No Deployment Group found for name: nope'
    })
    const app = (await (await call('CodeDeploy_20141006.GetApplication', { applicationName: g.applicationName })).json()) as {
      application: { createTime: unknown }
    }
    expect(typeof app.application.createTime).toBe('number')
    expect(Math.abs((app.application.createTime as number) - Date.now() / 1000)).toBeLessThan(60)
    await expect(
      cd.send(new CreateDeploymentCommand({ ...names(g), revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key: 'x.zip' } } }))
    ).rejects.toMatchObject({ name: 'InvalidRevisionException' })
    await expect(
      cd.send(
        new CreateDeploymentCommand({
          ...names(g),
          deploymentConfigName: 'Nope',
          revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key: 'x.zip', bundleType: 'zip' } }
        })
      )
    ).rejects.toMatchObject({ name: 'DeploymentConfigDoesNotExistException' })
    await expect(
      cd.send(
        new CreateDeploymentCommand({
          applicationName: 'no-such-app',
          deploymentGroupName: 'x',
          revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key: 'x.zip', bundleType: 'zip' } }
        })
      )
    ).rejects.toMatchObject({ name: 'ApplicationDoesNotExistException' })
    await expect(
      cd.send(
        new CreateDeploymentCommand({
          ...names(g),
          fileExistsBehavior: 'MERGE' as 'RETAIN',
          revision: { revisionType: 'S3', s3Location: { bucket: BUCKET, key: 'x.zip', bundleType: 'zip' } }
        })
      )
    ).rejects.toMatchObject({ name: 'InvalidFileExistsBehaviorException' })
  })

  test('tb.env is enough for SDK clients built from the default configuration', async () => {
    const g = group()
    await put('env/probe.txt', Buffer.from('probe'))
    const saved = { ...process.env }
    Object.assign(process.env, tb.env)
    const envS3 = new S3Client({ forcePathStyle: true })
    const envCd = new CodeDeployClient({})
    try {
      const res = await envCd.send(new GetApplicationCommand({ applicationName: g.applicationName }))
      expect(res.application?.applicationName).toBe(g.applicationName)
      const list = await envS3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'env/' }))
      expect(list.Contents?.map(o => o.Key)).toEqual(['env/probe.txt'])
    } finally {
      envS3.destroy()
      envCd.destroy()
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key]
      Object.assign(process.env, saved)
    }
  })
})
