/**
 * runPipeline through its PipelineContext: a real source tree, the real appspec checks and bundle
 * writer, and fakes for S3, CodeDeploy and the clock (no server, no dist/ build). Each test asserts
 * on what the services were asked, the bytes stored, the report and the log.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import * as zlib from 'node:zlib'
import AdmZip from 'adm-zip'
import { ActionError } from '../../src/core/errors.js'
import type { Settings } from '../../src/inputs/settings.js'
import { runPipeline, type PipelineContext, type PipelineLog } from '../../src/pipeline.js'
import type { GroupOutcome, RunReport } from '../../src/report/run-report.js'
import { FakeClock } from '../helpers/clock.js'
import { commitTree, git } from '../helpers/git.js'
import { awsError, FakeCodeDeploy, instanceAt, overviewOf, type Handler, type Snapshot } from '../helpers/codedeploy.js'
import { LineLog } from '../helpers/deps.js'
import { settings, SHA } from '../helpers/report.js'
import { FakeS3, s3Error } from '../helpers/s3.js'
import { buildTree, randomBytes, TempDirs } from '../helpers/tree.js'
import { deployments } from '../helpers/watch.js'

const KEY = `shop/${SHA}.zip`
const URI = `s3://bundles/${KEY}`
const APPSPEC = `version: 0.0
os: linux
files:
  - source: /
    destination: /opt/shop
hooks:
  ApplicationStart:
    - location: scripts/start.sh
      timeout: 60
      runas: root
`
const START = '#!/bin/sh\nexec node server.js\n'
const TREE = { 'appspec.yml': APPSPEC, 'index.html': '<h1>shop</h1>\n', 'scripts/start.sh': { content: START, mode: 0o755 } }
const sha256 = (b: Buffer | string): string => createHash('sha256').update(b).digest('hex')

/** One instance running every EC2 lifecycle event (2 s each), so the deployment ends Succeeded after 14 s. */
const fleet = (elapsed: number): Snapshot => {
  const targets = [instanceAt('i-0aaa', elapsed)]
  return { status: targets[0]?.status === 'Succeeded' ? 'Succeeded' : 'InProgress', overview: overviewOf(targets), targets }
}

interface Options {
  /** The deployment each group's CreateDeployment creates. */
  ids?: Record<string, string>
  platform?: string
  /** How each deployment moves along (virtual) time. */
  timeline?: (elapsedMs: number) => Snapshot
  /** Replace the generated CodeDeploy handlers. */
  handlers?: Partial<Record<string, Handler>>
  s3?: FakeS3
  signal?: AbortSignal
}

interface Run {
  ctx: PipelineContext
  s3: FakeS3
  cd: FakeCodeDeploy
  report: RunReport
  log: LineLog
  /** Each deploymentCreated call: the group's outcome then, and how many GetDeployment calls the watch had made. */
  created: Array<{ deploymentId: string | undefined; result: unknown; polls: number }>
  run: () => Promise<void>
}

/** The job log of a run, and each deploymentCreated call. */
class RunLog extends LineLog implements PipelineLog {
  constructor(private readonly onCreated: (group: GroupOutcome) => void) {
    super()
  }

  deploymentCreated(group: GroupOutcome): void {
    this.onCreated(group)
  }
}

const temp = new TempDirs()
afterEach(() => temp.cleanup())

/**
 * A run as main.ts starts one, against bucket `bundles` and a CodeDeploy where application shop and every group exist.
 * The log is a class instance (methods, not arrow functions), so a stage that calls a log method unbound fails here.
 */
function setup(overrides: Partial<Settings>, o: Options = {}): Run {
  const clock = new FakeClock()
  const ids = o.ids ?? { production: 'd-DEPLOY001' }
  const s3 = o.s3 ?? new FakeS3({ buckets: ['bundles'] })
  const cd = new FakeCodeDeploy({
    GetApplication: () => ({ application: { applicationName: 'shop', computePlatform: o.platform ?? 'Server' } }),
    GetDeploymentGroup: input => ({ deploymentGroupInfo: { deploymentGroupName: input['deploymentGroupName'] } }),
    CreateDeployment: input => ({ deploymentId: ids[String(input['deploymentGroupName'])] }),
    ...deployments(clock, Object.fromEntries(Object.values(ids).map(id => [id, o.timeline ?? fleet]))),
    ...o.handlers
  })
  const s = settings({ sourceDateEpoch: 1_700_000_000, ...overrides })
  const created: Run['created'] = []
  const log = new RunLog(g => created.push({ deploymentId: g.deploymentId, result: g.result, polls: cd.count('GetDeployment') }))
  const report: RunReport = {
    settings: s,
    bundle: undefined,
    revision: undefined,
    groups: [],
    error: undefined,
    cancelled: false,
    startedAt: clock.now(),
    endedAt: clock.now()
  }
  const signal = o.signal ?? new AbortController().signal
  const ctx: PipelineContext = {
    settings: s,
    clients: { s3: s3.client, codedeploy: cd.client },
    clock,
    signal,
    log,
    tempDir: temp.make('cda-pipeline-tmp-'),
    report
  }
  return { ctx, s3, cd, report, log, created, run: () => runPipeline(ctx) }
}

const sourceDir = (tree: Parameters<typeof buildTree>[1] = TREE): string => buildTree(fs.realpathSync(temp.make('cda-pipeline-src-')), tree)
const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => new Error('expected runPipeline to reject'),
    (e: unknown) => e
  )

describe('EC2/on-premises', () => {
  test('walks, checks appspec.yml, packages, uploads, deploys by eTag and follows the deployment to Succeeded', async () => {
    const dir = sourceDir()
    const { s3, cd, report, log, created, run } = setup({ sourceDir: dir }, { s3: new FakeS3({ buckets: ['bundles'], versioned: true }) })
    await run()

    expect(s3.calls.map(c => c.command)).toEqual(['HeadObject', 'PutObject'])
    const put = s3.inputs('PutObject')[0]!
    const stored = s3.get('bundles', KEY)!
    const body = put['Body'] as Buffer
    expect(stored.body.equals(body)).toBe(true)
    expect(put).toMatchObject({
      Bucket: 'bundles',
      Key: KEY,
      ContentType: 'application/zip',
      ContentLength: body.length,
      Metadata: { sha256: sha256(body) }
    })
    expect(put['ChecksumSHA256']).toBe(createHash('sha256').update(body).digest('base64'))
    // The zip holds exactly the tree, bytes and exec bit included.
    const zip = new AdmZip(body).getEntries()
    expect(zip.map(e => e.entryName)).toEqual(['appspec.yml', 'index.html', 'scripts/', 'scripts/start.sh'])
    expect(zip.filter(e => !e.isDirectory).map(e => e.getData().toString())).toEqual([APPSPEC, '<h1>shop</h1>\n', START])
    expect(((zip[3]?.header.attr ?? 0) >>> 16) & 0o777).toBe(0o755)

    expect(cd.calls.slice(0, 3).map(c => c.command)).toEqual(['GetApplication', 'GetDeploymentGroup', 'CreateDeployment'])
    expect(cd.inputs('CreateDeployment')).toEqual([
      {
        applicationName: 'shop',
        deploymentGroupName: 'production',
        deploymentConfigName: undefined,
        description: 'octo/shop@0123456',
        revision: { revisionType: 'S3', s3Location: { bucket: 'bundles', key: KEY, bundleType: 'zip', eTag: stored.eTag, version: 'v1' } },
        fileExistsBehavior: undefined,
        ignoreApplicationStopFailures: false
      }
    ])
    expect(report.bundle).toMatchObject({ type: 'zip', entries: 4, size: body.length, sha256: sha256(body) })
    expect(report.revision).toEqual({
      bucket: 'bundles',
      key: KEY,
      bundleType: 'zip',
      eTag: stored.eTag,
      version: 'v1',
      sha256: sha256(body),
      size: body.length,
      uploaded: true
    })
    expect(report.computePlatform).toBe('Server')
    expect(report.groups).toHaveLength(1)
    expect(report.groups[0]).toMatchObject({
      group: 'production',
      deploymentId: 'd-DEPLOY001',
      result: { status: 'Succeeded', final: true, timedOut: false }
    })
    expect(report.groups[0]?.url).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codedeploy/deployments/d-DEPLOY001?region=eu-west-1'
    )
    // Outputs are set the moment the deployment exists: before the watch's first look.
    expect(created).toEqual([{ deploymentId: 'd-DEPLOY001', result: undefined, polls: 0 }])
    expect(cd.count('GetDeployment')).toBeGreaterThan(1)

    expect(log.groups).toEqual(['Check the bundle', 'Check CodeDeploy', 'Package and upload'])
    const order = [
      `4 entries under ${dir}; appspec.yml: os linux, 1 hook script(s); checked in 0.0 s.`,
      'Application shop (EC2/on-premises) and group(s) production found in 0.0 s.',
      `Bundle: 4 entries, ${(body.length / 1000).toFixed(1)} kB (${body.length} bytes), sha256 ${sha256(body)}; packaged in 0.0 s, from the walk on.`,
      `Uploaded to ${URI} (eTag ${stored.eTag}, version v1): ${(body.length / 1000).toFixed(1)} kB in 0.0 s.`,
      `Created deployment d-DEPLOY001 in 0.0 s: ${report.groups[0]?.url}`
    ].map(line => log.lines.indexOf(line))
    expect(order).not.toContain(-1)
    expect(order).toEqual([...order].sort((a, b) => a - b))
    expect(log.lines.slice(-2)[0]).toMatch(/^Deployment d-DEPLOY001 Succeeded/)
    expect(log.lines.at(-1)).toMatch(/^Finished: deployment d-DEPLOY001 Succeeded, \d+\.\d s after it was created\.$/)
    expect(log.warnings).toEqual([])
  })

  test('upload: auto, and S3 already holds the identical bundle: packaged and compared, not uploaded again', async () => {
    const first = setup({ sourceDir: sourceDir() })
    await first.run()
    const stored = first.s3.get('bundles', KEY)!
    first.s3.calls.length = 0

    const { s3, cd, report, log, run } = setup({ sourceDir: first.ctx.settings.sourceDir }, { s3: first.s3 })
    await run()
    expect(s3.calls.map(c => c.command)).toEqual(['HeadObject'])
    expect(report.revision).toEqual({
      bucket: 'bundles',
      key: KEY,
      bundleType: 'zip',
      eTag: stored.eTag,
      version: undefined,
      sha256: sha256(stored.body),
      size: stored.body.length,
      uploaded: false,
      matchedBy: 'sha256'
    })
    expect(cd.inputs('CreateDeployment')[0]?.['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: 'bundles', key: KEY, bundleType: 'zip', eTag: stored.eTag, version: undefined }
    })
    expect(log.lines).toContain(`${URI} already holds this exact bundle (same sha256): not uploaded again.`)
    expect(report.groups[0]?.result?.status).toBe('Succeeded')
  })

  test('packaging starts with the walk; CodeDeploy refusing the group stops it: nothing asked of S3, nothing left in the temp directory', async () => {
    const GetDeploymentGroup: Handler = () => {
      throw awsError('DeploymentGroupDoesNotExistException', 400, 'No deployment group found for name: production')
    }
    // Big enough that the writer is still busy when CodeDeploy answers, or small: either way nothing is left.
    for (const tree of [TREE, { ...TREE, 'assets/big.bin': randomBytes(24 << 20, 5) }]) {
      const { ctx, s3, report, run } = setup({ sourceDir: sourceDir(tree) }, { handlers: { GetDeploymentGroup } })
      const error = await failure(run())
      expect(error).toBeInstanceOf(ActionError)
      expect(s3.calls).toEqual([])
      expect(report.bundle).toBeUndefined()
      expect(fs.readdirSync(ctx.tempDir!)).toEqual([])
    }
  })

  test('an appspec.yml that fails its check stops the packaging that began with the walk: nothing left in the temp directory', async () => {
    const { ctx, cd, s3, run } = setup({
      sourceDir: sourceDir({ ...TREE, 'appspec.yml': 'version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: x.sh\n' })
    })
    const error = await failure(run())
    expect(error).toBeInstanceOf(ActionError)
    expect([cd.calls, s3.calls]).toEqual([[], []])
    expect(fs.readdirSync(ctx.tempDir!)).toEqual([])
  })

  test('upload: never, and there is no object: fails naming the input, before CodeDeploy is asked anything', async () => {
    const { s3, cd, report, log, run } = setup({ sourceDir: sourceDir(), upload: 'never' })
    const error = await failure(run())
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).input).toBe('upload')
    expect((error as ActionError).message).toBe(`is never, but there is no bundle at ${URI}.`)
    expect(s3.calls.map(c => c.command)).toEqual(['HeadObject'])
    expect(cd.calls).toEqual([])
    expect(log.groups).toEqual(['Find the bundle'])
    expect([report.revision, report.groups]).toEqual([undefined, []])
  })

  test('S3 refuses the upload: the run fails naming the permission to grant, and nothing is deployed', async () => {
    const { s3, cd, report, run } = setup({ sourceDir: sourceDir() })
    s3.fault = call => (call.command === 'PutObject' ? s3Error('AccessDenied', 403, 'Access Denied') : undefined)
    const error = await failure(run())
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).message).toBe(
      `Access denied while uploading the bundle to ${URI}: the workflow's AWS identity may not call s3:PutObject on arn:aws:s3:::bundles/${KEY}.`
    )
    expect([s3.get('bundles', KEY), cd.count('CreateDeployment'), report.revision, report.groups]).toEqual([undefined, 0, undefined, []])
  })

  test('a redeploy finds the bundle already in S3: nothing is walked, packaged or uploaded', async () => {
    const s3 = new FakeS3({ buckets: ['bundles'], versioned: true })
    const seeded = s3.put('bundles', KEY, Buffer.from('the bundle built for that commit'), { sha256: 'c'.repeat(64) })
    // The workspace holds another commit (here: nothing at all); walking it would fail the run.
    const { ctx, cd, report, log, run } = setup(
      { sourceDir: path.join(temp.make(), 'not-checked-out'), redeploy: true, upload: 'auto' },
      { s3 }
    )
    await run()
    expect(s3.calls.map(c => c.command)).toEqual(['HeadObject'])
    expect(fs.readdirSync(ctx.tempDir!)).toEqual([])
    expect(log.groups).toEqual(['Find the bundle', 'Check CodeDeploy'])
    expect(report.bundle).toBeUndefined()
    expect(report.revision).toEqual({
      bucket: 'bundles',
      key: KEY,
      bundleType: 'zip',
      eTag: seeded.eTag,
      version: 'v1',
      sha256: 'c'.repeat(64),
      size: 32,
      uploaded: false
    })
    expect(cd.inputs('CreateDeployment')[0]?.['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: 'bundles', key: KEY, bundleType: 'zip', eTag: seeded.eTag, version: 'v1' }
    })
    expect(log.lines).toContain(`Deploying the existing ${URI} (32 bytes, eTag ${seeded.eTag}, version v1); nothing is packaged.`)
    expect(report.groups[0]?.result?.status).toBe('Succeeded')
  })

  describe('a redeploy whose bundle is missing (upload: auto): source-dir is packaged only when it is a checkout of that commit', () => {
    const OLD = new Date('2024-03-09T23:41:07Z')
    /** A checkout of `app` with two commits: the older one is redeployed, the newer one is checked out unless `at` says otherwise. */
    function checkout(at: 'older' | 'newer'): { dir: string; older: string } {
      const dir = sourceDir()
      const older = commitTree(dir, OLD, 'older')
      fs.writeFileSync(path.join(dir, 'index.html'), '<h1>shop v2</h1>\n')
      commitTree(dir, new Date('2024-03-10T08:00:00Z'), 'newer')
      if (at === 'older') git(dir, ['checkout', '-q', older])
      return { dir, older }
    }

    test('a checkout of another commit: refused, naming the key and both fixes; nothing uploaded, CodeDeploy not asked', async () => {
      const { dir, older } = checkout('newer')
      const { s3, cd, report, run } = setup({ sourceDir: dir, sha: older, redeploy: true, upload: 'auto' })
      const error = await failure(run())
      expect(error).toBeInstanceOf(ActionError)
      expect((error as ActionError).describe()).toMatch(
        new RegExp(
          `^Input 'sha' names ${older}, but source-dir is a checkout of [0-9a-f]{40}: packaging it would put another commit's tree at ` +
            `s3://bundles/shop/${older}\\.zip\\. Fix: check out that commit before this step .*, or upload its bundle first`
        )
      )
      expect(s3.calls.map(c => c.command)).toEqual(['HeadObject'])
      expect(cd.calls).toEqual([])
      expect([report.bundle, report.revision]).toEqual([undefined, undefined])
    })

    test('a checkout of that commit: packaged and uploaded, every entry dated its committer date', async () => {
      const { dir, older } = checkout('older')
      const { s3, report, log, run } = setup({ sourceDir: dir, sha: older, redeploy: true, upload: 'auto' })
      await run()
      expect(s3.calls.map(c => c.command).filter(c => c !== 'HeadObject')).toEqual(['PutObject'])
      expect(log.lines).toContain(`source-dir is a checkout of ${older}.`)
      expect(log.lines).toContain(`Entries are dated 2024-03-09T23:41:07.000Z (the committer date of ${older.slice(0, 12)}).`)
      const body = s3.get('bundles', `shop/${older}.zip`)!.body
      const ut = Buffer.from([0x55, 0x54, 0x05, 0x00, 0x01, 0, 0, 0, 0])
      ut.writeUInt32LE(OLD.getTime() / 1000, 5)
      let stamped = 0
      for (let at = body.indexOf(ut); at >= 0; at = body.indexOf(ut, at + 1)) stamped++
      expect(stamped).toBe(2 * report.bundle!.entries) // local and central header of every entry
      expect(new AdmZip(body).getEntry('index.html')!.getData().toString()).toBe('<h1>shop</h1>\n')
    })
  })

  test('a bundle over 16 MiB goes up in parts, stored byte for byte, no upload left open', async () => {
    const big = randomBytes(17 << 20, 7)
    const { s3, report, run } = setup({ sourceDir: sourceDir({ ...TREE, 'assets/blob.bin': big }) })
    await run()
    expect(s3.calls.map(c => c.command)).toEqual([
      'HeadObject',
      'CreateMultipartUpload',
      'UploadPart',
      'UploadPart',
      'UploadPart',
      'CompleteMultipartUpload'
    ])
    const stored = s3.get('bundles', KEY)!
    // Uploaded while packaging: no sha256 to send at CreateMultipartUpload, S3's full-object CRC-32 instead.
    expect(stored.metadata).toEqual({})
    const crc = Buffer.alloc(4)
    crc.writeUInt32BE(zlib.crc32(stored.body))
    expect(s3.calls.find(c => c.command === 'CompleteMultipartUpload')?.input).toMatchObject({
      ChecksumCRC32: crc.toString('base64'),
      ChecksumType: 'FULL_OBJECT',
      IfNoneMatch: '*'
    })
    expect(sha256(stored.body)).toBe(report.bundle?.sha256)
    expect(new AdmZip(stored.body).getEntry('assets/blob.bin')?.getData().equals(big)).toBe(true)
    expect(s3.openUploads).toBe(0)
    expect(report.revision?.eTag).toMatch(/^[0-9a-f]{32}-3$/)
  })
})

describe('cancel', () => {
  test('cancelled before the run starts: the tree is checked, then nothing is asked of AWS and nothing created', async () => {
    const cancel = new AbortController()
    cancel.abort()
    const { s3, cd, report, log, run } = setup({ sourceDir: sourceDir() }, { signal: cancel.signal })
    const error = await failure(run())
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toBe('Cancelled before checking CodeDeploy: nothing was deployed.')
    expect([s3.calls, cd.calls, report.groups, log.groups]).toEqual([[], [], [], ['Check the bundle']])
  })

  test('cancelled while CodeDeploy is being checked: nothing is packaged, uploaded or created', async () => {
    const cancel = new AbortController()
    const GetApplication: Handler = () => {
      cancel.abort()
      return { application: { applicationName: 'shop', computePlatform: 'Server' } }
    }
    const { s3, cd, report, log, run } = setup({ sourceDir: sourceDir() }, { signal: cancel.signal, handlers: { GetApplication } })
    const error = await failure(run())
    expect(error).toBeInstanceOf(ActionError)
    expect((error as Error).message).toBe('Cancelled while checking CodeDeploy: nothing was deployed.')
    expect([s3.calls, cd.count('CreateDeployment')]).toEqual([[], 0])
    expect(log.groups).toEqual(['Check the bundle', 'Check CodeDeploy'])
    expect([report.bundle, report.revision, report.groups]).toEqual([undefined, undefined, []])
  })
})

test('several groups: one CreateDeployment fails, the other deployment is still followed to its end, then the run fails', async () => {
  const CreateDeployment: Handler = input => {
    if (input['deploymentGroupName'] === 'staging') throw awsError('InvalidRoleException', 400, 'The service role cannot be assumed.')
    return { deploymentId: 'd-PROD00001' }
  }
  const groups = ['production', 'staging']
  const { cd, report, log, created, run } = setup(
    { sourceDir: sourceDir(), deploymentGroups: groups },
    { ids: { production: 'd-PROD00001' }, handlers: { CreateDeployment } }
  )
  // What the report held the moment runPipeline rejected: production's watch must be over by then.
  const outcome = await run().then(
    () => undefined,
    (error: unknown) => ({ error, production: report.groups.find(g => g.group === 'production')?.result?.status })
  )
  expect(outcome?.production).toBe('Succeeded')
  expect(outcome?.error).toBeInstanceOf(ActionError)
  expect((outcome?.error as Error).message).toBe(
    'creating the deployment in shop/staging failed: InvalidRoleException: The service role cannot be assumed.'
  )
  expect(cd.inputs('CreateDeployment').map(i => i['deploymentGroupName'])).toEqual(groups)
  expect(report.groups.map(g => [g.group, g.deploymentId, g.result?.status])).toEqual([
    ['production', 'd-PROD00001', 'Succeeded'],
    ['staging', undefined, undefined]
  ])
  expect(created.map(c => c.deploymentId)).toEqual(['d-PROD00001'])
  expect(log.lines).toContain(`[production] Created deployment d-PROD00001 in 0.0 s: ${report.groups[0]?.url}`)
  expect(log.lines.filter(l => l.startsWith('[production] Deployment d-PROD00001 Succeeded'))).toHaveLength(1)
})

test('ECS with an appspec: no S3 call at all; CreateDeployment carries the AppSpec as content, and the deployment is followed', async () => {
  const ARN = 'arn:aws:ecs:eu-west-1:123456789012:task-definition/web:42'
  const text = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: "<TASK_DEFINITION>"
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
Hooks:
  - AfterAllowTraffic: web-verify
`
  const content = text.replace('<TASK_DEFINITION>', ARN)
  const given = 'deploy/appspec.yaml'
  const appspec = { path: path.join(sourceDir({ [given]: text }), given), given, vars: new Map([['TASK_DEFINITION', ARN]]), unused: [] }
  const GetDeploymentGroup: Handler = () => ({
    deploymentGroupInfo: { deploymentGroupName: 'production', ecsServices: [{ clusterName: 'prod', serviceName: 'web' }] }
  })
  const { s3, cd, report, log, run } = setup(
    { appspec, s3Bucket: '' },
    {
      s3: new FakeS3(),
      platform: 'ECS',
      timeline: elapsed => ({ status: elapsed < 6000 ? 'InProgress' : 'Succeeded' }),
      handlers: { GetDeploymentGroup }
    }
  )
  await run()

  expect(s3.calls).toEqual([])
  const input = cd.inputs('CreateDeployment')
  expect(input).toEqual([
    {
      applicationName: 'shop',
      deploymentGroupName: 'production',
      deploymentConfigName: undefined,
      description: 'octo/shop@0123456',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content, sha256: sha256(content) } }
    }
  ])
  // Bundle-only settings are not sent at all.
  expect(Object.keys(input[0] ?? {})).not.toContain('ignoreApplicationStopFailures')
  expect(report.appspec).toMatchObject({ path: given, content, sha256: sha256(content), checked: { platform: 'ECS' } })
  expect([report.computePlatform, report.bundle, report.revision]).toEqual(['ECS', undefined, undefined])
  expect(report.groups[0]).toMatchObject({ deploymentId: 'd-DEPLOY001', result: { status: 'Succeeded', final: true } })
  expect(log.groups).toEqual(['Check the AppSpec', 'Check CodeDeploy'])
  expect(log.lines).toContain('Application shop (ECS) and group(s) production found (production → ECS service prod/web) in 0.0 s.')
  expect(log.lines).toContain(
    `${given}: ${content.length} characters, sha256 ${sha256(content)}; filled 1 placeholder value(s) from appspec-vars.`
  )
})

test('each stage ends with its duration on the clock: checked, packaged, uploaded (MB, s, MB/s), created, finished', async () => {
  // The services take (virtual) time: the clock moves while they answer.
  const time: { clock?: FakeClock } = {}
  const after =
    <T>(ms: number, answer: (input: Record<string, unknown>) => T) =>
    (input: Record<string, unknown>): T => {
      time.clock?.advance(ms)
      return answer(input)
    }
  const { ctx, s3, log, run } = setup(
    { sourceDir: sourceDir({ ...TREE, 'big.bin': randomBytes(3_000_000) }) },
    {
      handlers: {
        GetApplication: after(300, () => ({ application: { applicationName: 'shop', computePlatform: 'Server' } })),
        CreateDeployment: after(400, () => ({ deploymentId: 'd-DEPLOY001' }))
      }
    }
  )
  time.clock = ctx.clock as FakeClock
  s3.fault = call => {
    if (call.command === 'PutObject') time.clock?.advance(2000)
    return undefined
  }
  await run()
  const size = Number(/\((\d+) bytes\)/.exec(log.lines.find(l => l.startsWith('Bundle: ')) ?? '')?.[1])
  expect(size).toBeGreaterThan(3_000_000)
  expect(size).toBeLessThan(3_050_000)
  expect(log.lines).toContain('Application shop (EC2/on-premises) and group(s) production found in 0.3 s.')
  // Packaging ran alongside the checks, from the walk on: the fake clock has it end before or after CodeDeploy's 0.3 s.
  expect(log.lines).toContainEqual(
    expect.stringMatching(/^Bundle: 5 entries, 3\.0 MB \(\d+ bytes\), sha256 \w{64}; packaged in 0\.[03] s, from the walk on\.$/)
  )
  expect(log.lines).toContainEqual(expect.stringMatching(/^Uploaded to s3:\/\/\S+ \(eTag \w+\): 3\.0 MB in 2\.0 s, 1\.5 MB\/s\.$/))
  expect(log.lines).toContainEqual(expect.stringMatching(/^Created deployment d-DEPLOY001 in 0\.4 s: https:/))
  // The fake deployment ends after its seven 2 s events, seen at the watch's next poll.
  expect(log.lines.at(-1)).toMatch(/^Finished: deployment d-DEPLOY001 Succeeded, 1\d\.\d s after it was created\.$/)
})
