// The CodeDeploy simulator's ECS and Lambda deployments (testbed/codedeploy/bluegreen.mjs and
// friends), driven through the real AWS SDK client exactly as the action drives it.
import crypto from 'node:crypto'
import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  GetDeploymentConfigCommand,
  GetDeploymentGroupCommand,
  GetDeploymentTargetCommand,
  BatchGetDeploymentTargetsCommand,
  ListDeploymentTargetsCommand,
  StopDeploymentCommand,
  type CreateDeploymentCommandInput,
  type DeploymentInfo,
  type DeploymentTarget,
  type LifecycleEvent
} from '@aws-sdk/client-codedeploy'
import type { Testbed } from '../../testbed/index.mjs'
import { ECS_EVENTS, LAMBDA_EVENTS } from '../helpers/codedeploy.js'

// A hook runs for a step: long enough that a poll (two requests, every 2 ms) sees each state even on a busy CI machine (30 ms was missed once).
const STEP_MS = 80
const MINUTE_MS = 40
const FINAL = new Set(['Succeeded', 'Failed', 'Stopped'])
const TASK_DEFINITION = 'arn:aws:ecs:us-east-1:123456789000:task-definition/web:42'

let tb: Testbed
let cd: CodeDeployClient

beforeAll(async () => {
  const { startTestbed } = await import('../../testbed/index.mjs')
  tb = await startTestbed({ stepMs: STEP_MS, trafficMinuteMs: MINUTE_MS })
  cd = new CodeDeployClient({
    endpoint: tb.codedeploy.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
  })
})

afterAll(async () => {
  cd?.destroy()
  await tb?.stop()
})

let seq = 0
type Group = { applicationName: string; deploymentGroupName: string }

function ecsGroup(options: { deploymentConfigName?: string; autoRollback?: boolean } = {}) {
  const applicationName = `ecs-app-${++seq}`
  tb.codedeploy.addApplication({ name: applicationName, computePlatform: 'ECS' })
  const ecsService = { clusterName: `cluster-${seq}`, serviceName: `web-${seq}`, desiredCount: 3 }
  const g = tb.codedeploy.addDeploymentGroup({ applicationName, name: `ecs-group-${seq}`, ecsService, ...options })
  return {
    applicationName,
    deploymentGroupName: g.deploymentGroupName,
    targetId: `${ecsService.clusterName}:${ecsService.serviceName}`,
    ecsService
  }
}

function lambdaGroup(options: { deploymentConfigName?: string; autoRollback?: boolean } = {}) {
  const applicationName = `lambda-app-${++seq}`
  tb.codedeploy.addApplication({ name: applicationName, computePlatform: 'Lambda' })
  const g = tb.codedeploy.addDeploymentGroup({ applicationName, name: `lambda-group-${seq}`, ...options })
  return { applicationName, deploymentGroupName: g.deploymentGroupName }
}

function ecsAppSpec(hooks: Record<string, string> = {}, taskDefinition = TASK_DEFINITION): string {
  const hookLines = Object.entries(hooks)
    .map(([event, fn]) => `  - ${event}: ${fn}\n`)
    .join('')
  return (
    'version: 0.0\nResources:\n  - TargetService:\n      Type: AWS::ECS::Service\n      Properties:\n' +
    `        TaskDefinition: "${taskDefinition}"\n        LoadBalancerInfo:\n          ContainerName: web\n          ContainerPort: 8080\n` +
    (hookLines ? `Hooks:\n${hookLines}` : '')
  )
}

function lambdaAppSpec(fn: { name: string; alias: string; current: number; target: number }, hooks: Record<string, string> = {}): string {
  const doc = {
    version: '0.0',
    Resources: [
      {
        MyFunction: {
          Type: 'AWS::Lambda::Function',
          Properties: { Name: fn.name, Alias: fn.alias, CurrentVersion: String(fn.current), TargetVersion: String(fn.target) }
        }
      }
    ],
    Hooks: Object.entries(hooks).map(([event, name]) => ({ [event]: name }))
  }
  return JSON.stringify(doc, null, 2)
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex')
const appSpecRevision = (content: string, hash = sha256(content)) => ({
  revisionType: 'AppSpecContent' as const,
  appSpecContent: { content, sha256: hash }
})

async function create(
  g: Group,
  revision: CreateDeploymentCommandInput['revision'],
  extra: Partial<CreateDeploymentCommandInput> = {}
): Promise<string> {
  const res = await cd.send(
    new CreateDeploymentCommand({ applicationName: g.applicationName, deploymentGroupName: g.deploymentGroupName, revision, ...extra })
  )
  return res.deploymentId ?? ''
}

async function info(deploymentId: string): Promise<DeploymentInfo> {
  return (await cd.send(new GetDeploymentCommand({ deploymentId }))).deploymentInfo ?? {}
}

async function target(deploymentId: string): Promise<DeploymentTarget | undefined> {
  const ids = (await cd.send(new ListDeploymentTargetsCommand({ deploymentId }))).targetIds ?? []
  if (!ids[0]) return undefined
  return (await cd.send(new GetDeploymentTargetCommand({ deploymentId, targetId: ids[0] }))).deploymentTarget
}

type Seen = { at: number; status: string; target: DeploymentTarget | undefined }

/** Poll the deployment and its target until the deployment ends; every distinct state seen, in order. */
async function follow(deploymentId: string): Promise<Seen[]> {
  const seen: Seen[] = []
  let last = ''
  for (let i = 0; i < 3000; i++) {
    const d = await info(deploymentId)
    const t = d.status === 'Created' ? undefined : await target(deploymentId)
    const key = JSON.stringify([d.status, eventsOf(t), t?.ecsTarget?.taskSetsInfo, t?.lambdaTarget?.lambdaFunctionInfo])
    if (key !== last) seen.push({ at: Date.now(), status: d.status ?? '', target: t })
    last = key
    if (FINAL.has(d.status ?? '')) return seen
    await new Promise(r => setTimeout(r, 2))
  }
  throw new Error(`deployment ${deploymentId} did not end`)
}

const eventsOf = (t: DeploymentTarget | undefined): LifecycleEvent[] =>
  t?.ecsTarget?.lifecycleEvents ?? t?.lambdaTarget?.lifecycleEvents ?? []
const event = (t: DeploymentTarget | undefined, name: string) => eventsOf(t).find(e => e.lifecycleEventName === name)
const taskSet = (t: DeploymentTarget | undefined, label: 'Blue' | 'Green') =>
  t?.ecsTarget?.taskSetsInfo?.find(s => s.taskSetLabel === label)
const lambdaWeight = (t: DeploymentTarget | undefined) => t?.lambdaTarget?.lambdaFunctionInfo?.targetVersionWeight
const durationMs = (e: LifecycleEvent | undefined) => (e?.endTime?.getTime() ?? NaN) - (e?.startTime?.getTime() ?? NaN)
/** The distinct values of f over the states seen, in order. */
const distinct = <T>(seen: Seen[], f: (s: Seen) => T | undefined): T[] =>
  seen
    .map(f)
    .filter((v): v is T => v !== undefined)
    .filter((v, i, all) => i === 0 || v !== all[i - 1])

describe('ECS deployments', () => {
  test('an AppSpecContent deployment moves production traffic Blue -> Green through the eight lifecycle events', async () => {
    const g = ecsGroup({ deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes' })
    const groupInfo = (await cd.send(new GetDeploymentGroupCommand(g))).deploymentGroupInfo
    expect(groupInfo).toMatchObject({
      computePlatform: 'ECS',
      ecsServices: [{ clusterName: g.ecsService.clusterName, serviceName: g.ecsService.serviceName }],
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      loadBalancerInfo: { targetGroupPairInfoList: [{ targetGroups: [{ name: `web-${seq}-tg-1` }, { name: `web-${seq}-tg-2` }] }] },
      ec2TagFilters: []
    })
    const config = (await cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes' })))
      .deploymentConfigInfo
    expect(config).toMatchObject({
      computePlatform: 'ECS',
      trafficRoutingConfig: { type: 'TimeBasedCanary', timeBasedCanary: { canaryPercentage: 10, canaryInterval: 5 } }
    })

    const content = ecsAppSpec({ BeforeInstall: 'CheckBeforeInstall', AfterAllowTestTraffic: 'SmokeTest' })
    const id = await create(g, appSpecRevision(content))
    const seen = await follow(id)
    const d = await info(id)
    expect(d).toMatchObject({
      status: 'Succeeded',
      computePlatform: 'ECS',
      deploymentOverview: { Succeeded: 1, Failed: 0, Pending: 0, InProgress: 0 }
    })
    expect(d.revision).toEqual({ revisionType: 'AppSpecContent', appSpecContent: { content, sha256: sha256(content) } })

    // Before AllowTraffic every request goes to Blue; Green exists (with all its tasks) from Install on.
    const beforeShift = seen.filter(
      s => event(s.target, 'AllowTraffic')?.status === 'Pending' && event(s.target, 'Install')?.status === 'Succeeded'
    )
    expect(beforeShift.length).toBeGreaterThan(0)
    for (const s of beforeShift) {
      expect(taskSet(s.target, 'Blue')).toMatchObject({ trafficWeight: 100, status: 'PRIMARY' })
      expect(taskSet(s.target, 'Green')).toMatchObject({
        trafficWeight: 0,
        status: 'ACTIVE',
        runningCount: 3,
        desiredCount: 3,
        pendingCount: 0
      })
    }
    // The canary: 10% on Green while AllowTraffic runs, then everything.
    expect(distinct(seen, s => taskSet(s.target, 'Green')?.trafficWeight)).toEqual([0, 10, 100])
    const canary = seen.filter(s => taskSet(s.target, 'Green')?.trafficWeight === 10)
    for (const s of canary) {
      expect(taskSet(s.target, 'Blue')?.trafficWeight).toBe(90)
      expect(event(s.target, 'AllowTraffic')?.status).toBe('InProgress')
      expect(event(s.target, 'AfterAllowTraffic')?.status).toBe('Pending')
    }

    const t = await target(id)
    expect(t?.deploymentTargetType).toBe('ECSTarget')
    expect(t?.ecsTarget).toMatchObject({
      deploymentId: id,
      targetId: g.targetId,
      targetArn: `arn:aws:ecs:us-east-1:123456789000:service/${g.ecsService.clusterName}/${g.ecsService.serviceName}`,
      status: 'Succeeded'
    })
    expect(eventsOf(t).map(e => [e.lifecycleEventName, e.status])).toEqual(ECS_EVENTS.map(e => [e, 'Succeeded']))
    expect(durationMs(event(t, 'AllowTraffic'))).toBeGreaterThanOrEqual(5 * MINUTE_MS - 10) // canaryInterval 5 simulated minutes
    expect(durationMs(event(t, 'BeforeInstall'))).toBeGreaterThanOrEqual(STEP_MS - 10) // a hook runs for a step
    expect(durationMs(event(t, 'AfterInstall'))).toBeLessThan(STEP_MS) // no hook: nothing to wait for
    expect(taskSet(t, 'Green')).toMatchObject({
      status: 'PRIMARY',
      trafficWeight: 100,
      runningCount: 3,
      targetGroup: { name: `web-${seq}-tg-2` }
    })
    expect(taskSet(t, 'Blue')).toMatchObject({
      status: 'DRAINING',
      trafficWeight: 0,
      runningCount: 0,
      targetGroup: { name: `web-${seq}-tg-1` }
    })
    const green = taskSet(t, 'Green')?.identifer
    expect(green).toMatch(/^ecs-svc\/\d{19}$/)

    // The next deployment starts from that task set (now Blue) and brings Green up behind the other target group.
    // A JSON AppSpec without a sha256 is accepted too.
    const json = JSON.stringify({
      version: 0.0,
      Resources: [
        {
          TargetService: {
            Type: 'AWS::ECS::Service',
            Properties: { TaskDefinition: 'web:43', LoadBalancerInfo: { ContainerName: 'web', ContainerPort: 8080 } }
          }
        }
      ]
    })
    const next = await create(
      g,
      { revisionType: 'AppSpecContent', appSpecContent: { content: json } },
      { deploymentConfigName: 'CodeDeployDefault.ECSAllAtOnce' }
    )
    await tb.codedeploy.waitForEnd(next, 10_000)
    const t2 = await target(next)
    expect((await info(next)).status).toBe('Succeeded')
    expect(taskSet(t2, 'Blue')).toMatchObject({ identifer: green, targetGroup: { name: `web-${seq}-tg-2` }, status: 'DRAINING' })
    expect(taskSet(t2, 'Green')).toMatchObject({ targetGroup: { name: `web-${seq}-tg-1` }, status: 'PRIMARY', trafficWeight: 100 })
  })

  test('a failing AfterAllowTestTraffic hook fails the deployment before production traffic moves; auto rollback drains Green', async () => {
    const g = ecsGroup({ autoRollback: true })
    tb.codedeploy.failHook({
      event: 'AfterAllowTestTraffic',
      deploymentGroupName: g.deploymentGroupName,
      logTail: 'smoke test: GET /health -> 503\n'
    })
    const id = await create(g, appSpecRevision(ecsAppSpec({ AfterAllowTestTraffic: 'SmokeTest', AfterAllowTraffic: 'Verify' })))
    const seen = await follow(id)
    const d = await info(id)
    expect(d.status).toBe('Failed')
    expect(d.errorInformation?.code).toBe('HOOK_EXECUTION_FAILURE')
    expect(d.errorInformation?.message).toContain('AfterAllowTestTraffic')
    expect(d.errorInformation?.message).toContain('SmokeTest')
    expect(d.deploymentOverview).toMatchObject({ Failed: 1, Succeeded: 0 })

    const t = await target(id)
    expect(t?.ecsTarget?.status).toBe('Failed')
    expect(event(t, 'AfterAllowTestTraffic')).toMatchObject({
      status: 'Failed',
      diagnostics: { errorCode: 'UnknownError', scriptName: 'SmokeTest', logTail: 'smoke test: GET /health -> 503\n' }
    })
    expect(eventsOf(t).map(e => e.status)).toEqual([
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Succeeded',
      'Failed',
      'Skipped',
      'Skipped',
      'Skipped'
    ])
    // Production traffic never left Blue; the rollback drained the replacement task set.
    expect(seen.every(s => (taskSet(s.target, 'Blue')?.trafficWeight ?? 100) === 100)).toBe(true)
    expect(taskSet(t, 'Blue')).toMatchObject({ status: 'PRIMARY', trafficWeight: 100 })
    expect(taskSet(t, 'Green')).toMatchObject({ status: 'DRAINING', trafficWeight: 0, runningCount: 0 })

    const rollbackId = d.rollbackInfo?.rollbackDeploymentId ?? ''
    expect(rollbackId).toMatch(/^d-/)
    await tb.codedeploy.waitForEnd(rollbackId, 10_000)
    const rb = await info(rollbackId)
    expect(rb).toMatchObject({ status: 'Succeeded', creator: 'codeDeployRollback', rollbackInfo: { rollbackTriggeringDeploymentId: id } })
    const rt = await target(rollbackId)
    expect(rt?.ecsTarget?.targetId).toBe(g.targetId)
    expect(taskSet(rt, 'Blue')).toMatchObject({ status: 'PRIMARY', trafficWeight: 100 })
    expect(eventsOf(rt).every(e => e.status === 'Succeeded')).toBe(true)
  })

  test('an AppSpec the service would refuse fails the deployment: INVALID_REVISION, or ECS_UPDATE_ERROR at Install for an unfilled task definition', async () => {
    const g = ecsGroup()
    const noTaskDef = ecsAppSpec().replace(/ {8}TaskDefinition: .*\n/, '')
    const bad = await create(g, appSpecRevision(noTaskDef))
    await tb.codedeploy.waitForEnd(bad, 10_000)
    const d = await info(bad)
    expect(d.status).toBe('Failed')
    expect(d.errorInformation?.code).toBe('INVALID_REVISION')
    expect(d.errorInformation?.message).toMatch(
      /^The deployment failed because the AppSpec file .* invalid configuration\. .*TaskDefinition/
    )
    expect((await cd.send(new ListDeploymentTargetsCommand({ deploymentId: bad }))).targetIds).toEqual([])

    const hooks = await create(g, appSpecRevision(ecsAppSpec({ ValidateService: 'Nope' })))
    await tb.codedeploy.waitForEnd(hooks, 10_000)
    expect((await info(hooks)).errorInformation?.message).toContain('ValidateService is not a lifecycle event hook of an ECS deployment')

    const placeholder = await create(g, appSpecRevision(ecsAppSpec({}, '<TASK_DEFINITION>')))
    await tb.codedeploy.waitForEnd(placeholder, 10_000)
    expect((await info(placeholder)).errorInformation).toMatchObject({
      code: 'ECS_UPDATE_ERROR',
      message: expect.stringContaining('<TASK_DEFINITION>')
    })
    const t = await target(placeholder)
    expect(event(t, 'Install')).toMatchObject({ status: 'Failed', diagnostics: { message: expect.stringContaining('<TASK_DEFINITION>') } })
    expect(taskSet(t, 'Green')).toBeUndefined()
  })

  test('StopDeployment while traffic shifts: Stopped, AllowTraffic Failed, the rest Skipped', async () => {
    const g = ecsGroup({ deploymentConfigName: 'CodeDeployDefault.ECSLinear10PercentEvery3Minutes' })
    const id = await create(g, appSpecRevision(ecsAppSpec()))
    for (let i = 0; i < 500 && event(await target(id).catch(() => undefined), 'AllowTraffic')?.status !== 'InProgress'; i++)
      await new Promise(r => setTimeout(r, 5))
    await cd.send(new StopDeploymentCommand({ deploymentId: id }))
    const d = await info(id)
    expect(d).toMatchObject({ status: 'Stopped', errorInformation: { code: 'MANUAL_STOP' } })
    const t = await target(id)
    expect(event(t, 'AllowTraffic')?.status).toBe('Failed')
    expect(event(t, 'AfterAllowTraffic')?.status).toBe('Skipped')
    expect(taskSet(t, 'Green')?.trafficWeight).toBeLessThan(100)
  })
})

describe('Lambda deployments', () => {
  test('canary and linear configs shift the alias weight over time (AppSpecContent and String revisions)', async () => {
    const canaryGroup = lambdaGroup({ deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent5Minutes' })
    const fn = { name: 'orders', alias: 'live', current: 3, target: 4 }
    const id = await create(canaryGroup, appSpecRevision(lambdaAppSpec(fn, { BeforeAllowTraffic: 'PreTraffic' })))
    const seen = await follow(id)
    expect((await info(id)).status).toBe('Succeeded')
    expect(distinct(seen, s => lambdaWeight(s.target))).toEqual([0, 10, 100])
    const first10 = seen.find(s => lambdaWeight(s.target) === 10)
    const first100 = seen.find(s => lambdaWeight(s.target) === 100)
    expect((first100?.at ?? 0) - (first10?.at ?? 0)).toBeGreaterThanOrEqual(5 * MINUTE_MS - 30) // five simulated minutes at 10%
    const t = await target(id)
    expect(t?.deploymentTargetType).toBe('LambdaTarget')
    expect(t?.lambdaTarget).toMatchObject({
      targetId: 'orders:live',
      targetArn: 'arn:aws:lambda:us-east-1:123456789000:function:orders:live',
      status: 'Succeeded',
      lambdaFunctionInfo: {
        functionName: 'orders',
        functionAlias: 'live',
        currentVersion: '3',
        targetVersion: '4',
        targetVersionWeight: 100
      }
    })
    expect(eventsOf(t).map(e => [e.lifecycleEventName, e.status])).toEqual(LAMBDA_EVENTS.map(e => [e, 'Succeeded']))
    const batch = await cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: ['orders:live'] }))
    expect(batch.deploymentTargets?.[0]?.lambdaTarget?.targetId).toBe('orders:live')

    const linearConfig = (
      await cd.send(new GetDeploymentConfigCommand({ deploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' }))
    ).deploymentConfigInfo
    expect(linearConfig).toMatchObject({
      computePlatform: 'Lambda',
      trafficRoutingConfig: { type: 'TimeBasedLinear', timeBasedLinear: { linearPercentage: 10, linearInterval: 1 } }
    })
    const linearGroup = lambdaGroup({ deploymentConfigName: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute' })
    const content = lambdaAppSpec({ name: 'payments', alias: 'prod', current: 7, target: 8 })
    const linear = await create(linearGroup, { revisionType: 'String', string: { content, sha256: sha256(content) } })
    const weights = distinct(await follow(linear), s => lambdaWeight(s.target))
    expect((await info(linear)).status).toBe('Succeeded')
    // 10% more every simulated minute: increasing, in steps of 10, most of them seen mid-way.
    expect(weights[0]).toBeLessThanOrEqual(10) // no BeforeAllowTraffic hook: the shift may start before the first look
    expect(weights.at(-1)).toBe(100)
    expect(weights).toContain(10)
    expect(weights.every((w, i) => i === 0 || w > (weights[i - 1] ?? 0))).toBe(true)
    expect(weights.every(w => w % 10 === 0)).toBe(true)
    expect(weights.filter(w => w > 10 && w < 100).length).toBeGreaterThanOrEqual(4)
    expect(durationMs(event(await target(linear), 'AllowTraffic'))).toBeGreaterThanOrEqual(9 * MINUTE_MS - 10)
  })

  test('a failing AfterAllowTraffic hook fails the deployment and the rollback points the alias back at CurrentVersion', async () => {
    const g = lambdaGroup({ autoRollback: true })
    tb.codedeploy.failHook({ event: 'AfterAllowTraffic', deploymentGroupName: g.deploymentGroupName })
    const id = await create(
      g,
      appSpecRevision(
        lambdaAppSpec(
          { name: 'checkout', alias: 'live', current: 1, target: 2 },
          { BeforeAllowTraffic: 'Pre', AfterAllowTraffic: 'PostTrafficCheck' }
        )
      )
    )
    const seen = await follow(id)
    const d = await info(id)
    expect(d.status).toBe('Failed')
    expect(d.errorInformation).toMatchObject({ code: 'HOOK_EXECUTION_FAILURE', message: expect.stringContaining('PostTrafficCheck') })
    // All traffic had reached version 2 while AfterAllowTraffic ran; after the failure it is back on version 1.
    expect(seen.some(s => event(s.target, 'AfterAllowTraffic')?.status === 'InProgress' && lambdaWeight(s.target) === 100)).toBe(true)
    const t = await target(id)
    expect(t?.lambdaTarget?.status).toBe('Failed')
    expect(event(t, 'AfterAllowTraffic')).toMatchObject({
      status: 'Failed',
      diagnostics: { scriptName: 'PostTrafficCheck', errorCode: 'UnknownError' }
    })
    expect(lambdaWeight(t)).toBe(0)

    const rollbackId = d.rollbackInfo?.rollbackDeploymentId ?? ''
    expect(rollbackId).toMatch(/^d-/)
    expect(d.rollbackInfo?.rollbackMessage).toContain(rollbackId)
    await tb.codedeploy.waitForEnd(rollbackId, 10_000)
    expect(await info(rollbackId)).toMatchObject({
      status: 'Succeeded',
      creator: 'codeDeployRollback',
      rollbackInfo: { rollbackTriggeringDeploymentId: id },
      revision: d.revision
    })
    const rt = await target(rollbackId)
    expect(rt?.lambdaTarget?.lambdaFunctionInfo).toEqual({
      functionName: 'checkout',
      functionAlias: 'live',
      currentVersion: '2',
      targetVersion: '1',
      targetVersionWeight: 100
    })
  })
})

describe('traffic shifting failures', () => {
  test('a failure during AllowTraffic comes part-way through the shift: 10% stays on the target version', async () => {
    const g = lambdaGroup({ deploymentConfigName: 'CodeDeployDefault.LambdaCanary10Percent10Minutes' })
    tb.codedeploy.failHook({ event: 'AllowTraffic', deploymentGroupName: g.deploymentGroupName, message: 'alias update throttled' })
    const id = await create(g, appSpecRevision(lambdaAppSpec({ name: 'search', alias: 'live', current: 2, target: 3 })))
    const seen = await follow(id)
    expect(await info(id)).toMatchObject({
      status: 'Failed',
      errorInformation: { code: 'INVALID_LAMBDA_CONFIGURATION', message: 'alias update throttled' }
    })
    expect(distinct(seen, s => lambdaWeight(s.target))).toEqual([10])
    const t = await target(id)
    expect(event(t, 'AllowTraffic')).toMatchObject({ status: 'Failed', diagnostics: { message: 'alias update throttled' } })
    expect(durationMs(event(t, 'AllowTraffic'))).toBeGreaterThanOrEqual(10 * MINUTE_MS - 10)
    expect(event(t, 'AfterAllowTraffic')?.status).toBe('Skipped')
  })
})

describe('AppSpec in S3', () => {
  test('a YAML AppSpec in S3 deploys a Lambda alias; a missing object fails the deployment with REVISION_MISSING', async () => {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3')
    await tb.s3.createBucket('appspecs')
    const yaml =
      'version: 0.0\nresources:\n  - fn:\n      type: AWS::Lambda::Function\n      properties:\n        name: reports\n        alias: live\n        currentversion: 5\n        targetversion: 6\n'
    const put = await tb.s3.client.send(new PutObjectCommand({ Bucket: 'appspecs', Key: 'reports/appspec.yaml', Body: yaml }))
    const g = lambdaGroup()
    const id = await create(g, {
      revisionType: 'S3',
      s3Location: { bucket: 'appspecs', key: 'reports/appspec.yaml', bundleType: 'YAML', ...(put.ETag ? { eTag: put.ETag } : {}) }
    })
    await tb.codedeploy.waitForEnd(id, 10_000)
    expect((await info(id)).status).toBe('Succeeded')
    expect((await target(id))?.lambdaTarget?.lambdaFunctionInfo).toMatchObject({
      functionName: 'reports',
      functionAlias: 'live',
      currentVersion: '5',
      targetVersion: '6',
      targetVersionWeight: 100
    })

    const missing = await create(g, { revisionType: 'S3', s3Location: { bucket: 'appspecs', key: 'nowhere.yaml', bundleType: 'YAML' } })
    await tb.codedeploy.waitForEnd(missing, 10_000)
    expect((await info(missing)).errorInformation).toEqual({ code: 'REVISION_MISSING', message: 'The specified key does not exist.' })
  })
})

describe('one handler per operation, every platform', () => {
  test('target and group operations answer for ECS and Lambda as for EC2/on-premises: filters, ids or ARNs, unknown ids, no EC2 tags', async () => {
    const lambda = lambdaGroup()
    const lambdaInfo = (await cd.send(new GetDeploymentGroupCommand(lambda))).deploymentGroupInfo
    expect(lambdaInfo).toMatchObject({
      computePlatform: 'Lambda',
      ec2TagFilters: [],
      deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' }
    })
    expect(lambdaInfo).not.toHaveProperty('ecsServices')

    const g = ecsGroup()
    const id = await create(g, appSpecRevision(ecsAppSpec()))
    await tb.codedeploy.waitForEnd(id, 10_000)
    const arn = `arn:aws:ecs:us-east-1:123456789000:service/${g.ecsService.clusterName}/${g.ecsService.serviceName}`
    const list = async (targetFilters?: Record<string, string[]>) =>
      (await cd.send(new ListDeploymentTargetsCommand({ deploymentId: id, ...(targetFilters ? { targetFilters } : {}) }))).targetIds
    expect(await list({ TargetStatus: ['Succeeded'] })).toEqual([g.targetId])
    expect(await list({ TargetStatus: ['Failed'] })).toEqual([])
    await expect(list({ Nope: ['x'] })).rejects.toMatchObject({ name: 'InvalidTargetFilterNameException' })
    expect((await cd.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: arn }))).deploymentTarget?.ecsTarget?.targetId).toBe(
      g.targetId
    )
    await expect(cd.send(new GetDeploymentTargetCommand({ deploymentId: id, targetId: 'cluster:other' }))).rejects.toMatchObject({
      name: 'DeploymentTargetDoesNotExistException'
    })
    await expect(
      cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: [g.targetId, 'cluster:other'] }))
    ).rejects.toMatchObject({ name: 'DeploymentTargetDoesNotExistException' })
    await expect(cd.send(new BatchGetDeploymentTargetsCommand({ deploymentId: id, targetIds: [] }))).rejects.toMatchObject({
      name: 'DeploymentTargetIdRequiredException'
    })

    expect(() => tb.codedeploy.failHook({ event: 'NoSuchEvent' })).toThrow('testbed: unknown lifecycle event NoSuchEvent')
    tb.codedeploy.addApplication({ name: `server-app-${++seq}` })
    const server = {
      applicationName: `server-app-${seq}`,
      deploymentGroupName: tb.codedeploy.addDeploymentGroup({ applicationName: `server-app-${seq}`, name: 'g', instances: 1 })
        .deploymentGroupName
    }
    await expect(create(server, appSpecRevision(ecsAppSpec()))).rejects.toMatchObject({
      name: 'InvalidRevisionException',
      message: expect.stringContaining('only valid for Lambda and ECS')
    })
  })
})

describe('CreateDeployment checks', () => {
  test('a sha256 that does not match the content, a Server bundle on an ECS group and a Server config on a Lambda group are refused', async () => {
    const ecs = ecsGroup()
    const lambda = lambdaGroup()
    const before = tb.codedeploy.deployments().length
    const content = ecsAppSpec()
    await expect(create(ecs, appSpecRevision(content, sha256(`${content}\n`)))).rejects.toMatchObject({
      name: 'InvalidRevisionException',
      message: expect.stringContaining('sha256')
    })
    await expect(
      create(ecs, { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'app.zip', bundleType: 'zip' } })
    ).rejects.toMatchObject({ name: 'InvalidRevisionException' })
    await expect(create(ecs, { revisionType: 'AppSpecContent', appSpecContent: { content: '' } })).rejects.toMatchObject({
      name: 'InvalidRevisionException'
    })
    await expect(
      create(lambda, appSpecRevision(lambdaAppSpec({ name: 'f', alias: 'a', current: 1, target: 2 })), {
        deploymentConfigName: 'CodeDeployDefault.OneAtATime'
      })
    ).rejects.toMatchObject({
      name: 'InvalidDeploymentConfigNameException'
    })
    expect(tb.codedeploy.deployments().length).toBe(before)
    expect(tb.codedeploy.requests.filter(r => r.operation === 'CreateDeployment' && r.status === 400).length).toBeGreaterThanOrEqual(4)
  })
})
