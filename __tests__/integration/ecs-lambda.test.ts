/**
 * ECS and Lambda deployments through the built action (dist/index.js), run the way the runner
 * runs it, against the CodeDeploy simulator: the AppSpec sent as content with its placeholders
 * filled, nothing packaged or uploaded, the target's events and traffic shifts streamed, a
 * failing hook diagnosed and its rollback followed, and every bad AppSpec refused before
 * anything is deployed.
 */
import { createHash } from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { errorsOf, runWith, useTestbed, type RunResult, type Testbed } from './harness.js'
import { ECS_EVENTS } from '../helpers/codedeploy.js'

interface Request {
  operation: string
  input: Record<string, unknown>
  status: number
}

const SHA = '7777777777777777777777777777777777777777'
const ARN = 'arn:aws:ecs:us-east-1:123456789000:task-definition/web:42'
const ECS_APPSPEC = `version: 0.0
Resources:
  - TargetService:
      Type: AWS::ECS::Service
      Properties:
        TaskDefinition: <TASK_DEFINITION>
        LoadBalancerInfo:
          ContainerName: web
          ContainerPort: 8080
Hooks:
  - AfterAllowTestTraffic: SmokeTest
  - AfterAllowTraffic: VerifyProduction
`
const LAMBDA_APPSPEC = JSON.stringify(
  {
    version: 0.0,
    Resources: [
      {
        orders: {
          Type: 'AWS::Lambda::Function',
          Properties: { Name: 'orders', Alias: 'live', CurrentVersion: '${CURRENT_VERSION}', TargetVersion: '${TARGET_VERSION}' }
        }
      }
    ],
    Hooks: [{ BeforeAllowTraffic: 'PreTrafficCheck' }, { AfterAllowTraffic: 'PostTrafficCheck' }]
  },
  null,
  2
)

// Each test starts the testbed with the traffic pace it needs; the workspace holds only what a test writes.
const bed = useTestbed({ autoStart: false, workspace: 'empty', sha: SHA, timeoutMs: 60_000, inputs: { 'deployment-group': 'prod' } })

/** A simulator with an ECS application `web` (service main/web) and a Lambda application `fn`, each with a group `prod`. */
async function setup(trafficMinuteMs: number, group: { autoRollback?: boolean } = {}): Promise<Testbed> {
  return bed.start({
    stepMs: 30,
    trafficMinuteMs,
    bucket: null,
    applications: [{ name: 'web', computePlatform: 'ECS' }, { name: 'fn', computePlatform: 'Lambda' }, { name: 'sample-app' }],
    groups: [
      { applicationName: 'web', name: 'prod', ecsService: { clusterName: 'main', serviceName: 'web', desiredCount: 2 }, ...group },
      { applicationName: 'fn', name: 'prod', ...group },
      { applicationName: 'sample-app', name: 'prod', instances: 1 }
    ]
  })
}

function write(rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(bed.ws.root, rel)), { recursive: true })
  fs.writeFileSync(path.join(bed.ws.root, rel), text)
}

/** The inputs that deploy `appspec` to the ECS application `web`, its task definition filled in. */
const ecsApp = (appspec: string): Record<string, string> => ({
  'application-name': 'web',
  appspec,
  'appspec-vars': `TASK_DEFINITION=${ARN}`
})
/** The inputs that deploy appspec.json to the Lambda application `fn`, from version 3 to version 4. */
const LAMBDA_APP = { 'application-name': 'fn', appspec: 'appspec.json', 'appspec-vars': 'CURRENT_VERSION=3\nTARGET_VERSION=4' }

const run = (inputs: Record<string, string>): Promise<RunResult> => runWith(bed, { inputs })
const requests = (): Request[] => bed.tb.codedeploy.requests as Request[]
const creates = (): Request[] => requests().filter(r => r.operation === 'CreateDeployment')
const actionS3 = (): unknown[] => bed.tb.s3.requests.filter((r: { userAgent: string }) => /codedeploy-action/.test(r.userAgent ?? ''))
const errors = (r: RunResult): string[] => errorsOf(r, 'all')
const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex')
/** The replacement's share in each `traffic` line the action printed for `target`, in order. */
const shares = (r: RunResult, target: string, pattern: RegExp): number[] =>
  r.stdout
    .split('\n')
    .filter(l => l.startsWith(`  ${target}  traffic `))
    .map(l => Number(pattern.exec(l)?.[1] ?? NaN))

describe('ECS', () => {
  test('canary: the AppSpec sent as content, its task definition filled in, nothing uploaded, Green seen at 10% then 100%', async () => {
    await setup(1000)
    write('deploy/appspec.yaml', ECS_APPSPEC)
    const result = await run({ ...ecsApp('deploy/appspec.yaml'), 'deployment-config': 'CodeDeployDefault.ECSCanary10Percent5Minutes' })
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)

    // CodeDeploy got the filled AppSpec itself, with the sha256 of those exact bytes.
    const content = ECS_APPSPEC.replace('<TASK_DEFINITION>', ARN)
    expect(creates()).toHaveLength(1)
    expect(creates()[0]!.input).toMatchObject({
      applicationName: 'web',
      deploymentGroupName: 'prod',
      deploymentConfigName: 'CodeDeployDefault.ECSCanary10Percent5Minutes',
      revision: { revisionType: 'AppSpecContent', appSpecContent: { content, sha256: sha256(content) } }
    })
    expect(creates()[0]!.input).not.toHaveProperty('fileExistsBehavior')
    expect(actionS3()).toEqual([])

    const out = result.outputs
    expect(out).toMatchObject({
      status: 'Succeeded',
      'appspec-sha256': sha256(content),
      'bundle-uri': '',
      'bundle-sha256': '',
      'bundle-size': '',
      uploaded: 'false',
      'instances-total': '1',
      'instances-succeeded': '1',
      sha: SHA
    })
    expect(out['summary']).toBe(
      `CodeDeploy web @ 7777777 succeeded: prod: ${out['deployment-id']} Succeeded, 1/1 targets succeeded, traffic Blue 0% / Green 100% in ${out['duration-seconds']}s`
    )

    // The log: every event once, Green's task set coming up, and the traffic moving in order.
    const lines = result.stdout.split('\n')
    for (const event of ECS_EVENTS)
      expect(lines.filter(l => new RegExp(`^ {2}main:web {2}${event} +Succeeded \\d+\\.\\ds$`).test(l))).toHaveLength(1)
    expect(shares(result, 'main:web', /Green (\d+)%$/).filter(w => w > 0)).toEqual([10, 100])
    expect(lines).toContain('  main:web  traffic Blue 90% / Green 10%')
    expect(
      lines.some(l => /^ {2}main:web {2}task set Green ecs-svc\/\d+ PRIMARY, 2\/2 tasks running, target group web-tg-2$/.test(l))
    ).toBe(true)
    expect(lines).toContain(
      `AppSpec: ECS task definition ${ARN}, container web:8080; hooks AfterAllowTestTraffic → SmokeTest, AfterAllowTraffic → VerifyProduction; sent as content (revisionType AppSpecContent), nothing uploaded.`
    )
    expect(lines).toContainEqual(
      expect.stringMatching(/^Application web \(ECS\) and group\(s\) prod found \(prod → ECS service main\/web\) in \d+\.\d s\.$/)
    )

    // The summary: the AppSpec instead of a bundle, the service's events and task sets.
    for (const row of [
      `| AppSpec sha256 | \`${sha256(content)}\` |`,
      `| Task definition | \`${ARN}\` |`,
      '#### ECS service `main:web`: ✅ Succeeded',
      '| Compute platform | ECS |'
    ]) {
      expect(result.summary.split('\n')).toContain(row)
    }
    expect(result.summary).toMatch(/^\| Green `ecs-svc\/\d+` \| PRIMARY \| 100% \| 2\/2 \| `web-tg-2` \|$/m)
    expect(result.summary).toMatch(/^Traffic on Green, as the watch saw it: (0% → )?10% → 100%$/m)
    expect(result.summary).not.toContain('Bundle')
  })

  test('linear, then a failing AfterAllowTraffic hook: its diagnostics, and the rollback that puts production back on Blue', async () => {
    await setup(1000, { autoRollback: true })
    bed.tb.codedeploy.failHook({
      event: 'AfterAllowTraffic',
      deploymentGroupName: 'prod',
      logTail: 'GET https://web.example.com/health -> 503\n'
    })
    write('appspec.yaml', ECS_APPSPEC)
    const result = await run({ ...ecsApp('appspec.yaml'), 'deployment-config': 'CodeDeployDefault.ECSLinear10PercentEvery1Minutes' })
    expect(result.code).toBe(1)

    // 10% more every simulated minute: several steps seen on the way up, then back to 0 on the failure.
    const green = shares(result, 'main:web', /Green (\d+)%$/).filter(w => !Number.isNaN(w))
    const rising = green.slice(0, -1).filter(w => w > 0)
    expect(green.at(-1)).toBe(0)
    expect(rising.filter(w => w > 0 && w < 100).length).toBeGreaterThanOrEqual(2)
    expect(rising.every((w, i) => i === 0 || w > rising[i - 1]!)).toBe(true)
    expect(rising.every(w => w % 10 === 0)).toBe(true)

    // The failure: annotated with the service and the hook, the function named, the log tail printed.
    const id = result.outputs['deployment-id']!
    expect(result.commands).toContain(
      '::error title=main%3Aweb failed AfterAllowTraffic::UnknownError in hook function VerifyProduction: The AfterAllowTraffic hook function VerifyProduction reported a Failed status to CodeDeploy.'
    )
    expect(result.stdout).toContain('    | GET https://web.example.com/health -> 503')
    const rollbackId = result.outputs['rollback-deployment-id']!
    expect(rollbackId).toMatch(/^d-/)
    expect(result.outputs).toMatchObject({
      status: 'Failed',
      'failed-instance': 'main:web',
      'failed-event': 'AfterAllowTraffic',
      'error-code': 'UnknownError',
      'instances-failed': '1'
    })
    expect(result.stdout).toContain(
      `CodeDeploy started rollback deployment ${rollbackId} to route production traffic back to the original task set; following it to its end.`
    )
    expect(result.stdout).toMatch(/^\[rollback\] {3}main:web {2}Succeeded$/m)
    const failure = errors(result).at(-1)!
    expect(failure).toContain(
      `::error::Deployment ${id} (web/prod) Failed. AfterAllowTraffic failed on main:web (UnknownError in hook function VerifyProduction)`
    )
    expect(failure).toContain(
      `Rolled back: rollback deployment ${rollbackId} Succeeded (1/1 targets succeeded), so production traffic is back on the original task set.`
    )
    // What the simulator holds agrees: Blue serves everything again.
    const blue = bed.tb.codedeploy.target(id)?.taskSets.find((s: { taskSetLabel: string }) => s.taskSetLabel === 'Blue')
    expect(blue).toMatchObject({ status: 'PRIMARY', trafficWeight: 100 })
    expect(result.summary).toContain('**❌ AfterAllowTraffic failed on `main:web`** in hook function `VerifyProduction`')
    expect(result.summary).toContain('GET https://web.example.com/health -> 503')
  })
})

describe('Lambda', () => {
  test('linear: ${NAME} placeholders filled from appspec-vars, the alias weight seen moving version by version', async () => {
    await setup(800)
    write('appspec.json', LAMBDA_APPSPEC)
    const result = await run({
      ...LAMBDA_APP,
      'deployment-config': 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      's3-bucket': 'left-over-bucket'
    })
    expect(result.code).toBe(0)
    const content = LAMBDA_APPSPEC.replace('${CURRENT_VERSION}', '3').replace('${TARGET_VERSION}', '4')
    expect(creates()[0]!.input['revision']).toEqual({
      revisionType: 'AppSpecContent',
      appSpecContent: { content, sha256: sha256(content) }
    })
    // A leftover bundle input is harmless, and said to be unused.
    expect(result.commands).toContain('::warning::Not used for an ECS or Lambda deployment (nothing is packaged or uploaded): s3-bucket.')
    expect(actionS3()).toEqual([])

    const weights = shares(result, 'orders:live', /version 4 (\d+)%$/)
    expect(weights.at(-1)).toBe(100)
    expect(weights.filter(w => w > 0 && w < 100).length).toBeGreaterThanOrEqual(1)
    expect(weights.every((w, i) => i === 0 || w > weights[i - 1]!)).toBe(true)
    expect(result.stdout).toMatch(/^ {2}orders:live {2}traffic version 3 \d+% \/ version 4 \d+%$/m)
    expect(result.stdout).toMatch(/^ {2}orders:live {2}AllowTraffic +Succeeded \d+\.\ds$/m)
    expect(result.outputs).toMatchObject({
      status: 'Succeeded',
      'failed-instance': '',
      uploaded: 'false',
      'appspec-sha256': sha256(content)
    })
    expect(bed.tb.codedeploy.target(result.outputs['deployment-id']!)?.lambda).toMatchObject({
      functionName: 'orders',
      functionAlias: 'live',
      currentVersion: '3',
      targetVersion: '4',
      targetVersionWeight: 100
    })
    for (const row of [
      '| Function | `orders` alias `live` |',
      '| Versions | 3 → 4 |',
      '| 4 | TargetVersion (traffic moves to it) | 100% |'
    ])
      expect(result.summary.split('\n')).toContain(row)
  })

  test('a failing AfterAllowTraffic hook fails the step with its diagnostics; the rollback points the alias back at the current version', async () => {
    await setup(200, { autoRollback: true })
    bed.tb.codedeploy.failHook({
      event: 'AfterAllowTraffic',
      deploymentGroupName: 'prod',
      message: 'orders-post-traffic: 3 of 20 synthetic orders failed',
      logTail: 'POST /orders -> 500\nPOST /orders -> 500\n'
    })
    write('appspec.json', LAMBDA_APPSPEC)
    const result = await run(LAMBDA_APP)
    expect(result.code).toBe(1)
    expect(result.commands).toContain(
      '::error title=orders%3Alive failed AfterAllowTraffic::UnknownError in hook function PostTrafficCheck: orders-post-traffic: 3 of 20 synthetic orders failed'
    )
    expect(result.stdout.split('\n').filter(l => l === '    | POST /orders -> 500')).toHaveLength(2)
    expect(result.outputs).toMatchObject({
      status: 'Failed',
      'failed-instance': 'orders:live',
      'failed-event': 'AfterAllowTraffic',
      'error-message': 'orders-post-traffic: 3 of 20 synthetic orders failed'
    })
    const rollbackId = result.outputs['rollback-deployment-id']!
    expect(errors(result).at(-1)).toContain(
      `Rolled back: rollback deployment ${rollbackId} Succeeded (1/1 targets succeeded), so alias live points at version 3 again.`
    )
    expect(result.outputs['summary']).toMatch(
      new RegExp(
        `Failed at AfterAllowTraffic on orders:live, 0/1 targets succeeded, 1 failed, traffic version 3 100% / version 4 0%, rollback ${rollbackId} Succeeded`
      )
    )
    expect(bed.tb.codedeploy.target(rollbackId)?.lambda).toMatchObject({ targetVersion: '3', targetVersionWeight: 100 })
  })
})

describe('refused before anything is deployed', () => {
  interface Case {
    name: string
    files: Record<string, string>
    inputs: Record<string, string>
    says: RegExp
    /** CodeDeploy calls allowed before the refusal: none when the file alone tells. */
    calls: string[]
  }
  const ecs = ecsApp('appspec.yaml')
  const cases: Case[] = [
    {
      name: 'an unfilled placeholder',
      files: { 'appspec.yaml': ECS_APPSPEC },
      inputs: { ...ecs, 'appspec-vars': '' },
      calls: [],
      says: /^::error::Input 'appspec-vars': appspec\.yaml line 6: placeholder <TASK_DEFINITION> is not filled\. Fix: add a line `TASK_DEFINITION=<value>` to appspec-vars/
    },
    {
      name: 'a hook on an EC2 event in an ECS AppSpec',
      files: { 'appspec.yaml': ECS_APPSPEC.replace('AfterAllowTestTraffic: SmokeTest', 'ValidateService: SmokeTest') },
      inputs: ecs,
      calls: [],
      says: /^::error::Input 'appspec': appspec\.yaml line 11: 'ValidateService' is not a lifecycle event of an ECS deployment\. Fix: use one of BeforeInstall, AfterInstall, AfterAllowTestTraffic, BeforeAllowTraffic, AfterAllowTraffic\./
    },
    {
      name: 'a port that is no port',
      files: { 'appspec.yaml': ECS_APPSPEC.replace('8080', '80800') },
      inputs: ecs,
      calls: [],
      says: /^::error::Input 'appspec': appspec\.yaml line 9: LoadBalancerInfo\.ContainerPort is 80800; it must be a port number from 1 to 65535\./
    },
    {
      name: 'a resource without a Type (checked once the platform is known)',
      files: { 'appspec.yaml': ECS_APPSPEC.replace('      Type: AWS::ECS::Service\n', '') },
      inputs: ecs,
      calls: ['GetApplication', 'GetDeploymentGroup'],
      says: /^::error::Input 'appspec': appspec\.yaml line 3: resource 'TargetService' has Type missing; it must be AWS::ECS::Service\./
    },
    {
      name: 'a Lambda AppSpec for the ECS application',
      files: { 'appspec.json': LAMBDA_APPSPEC },
      inputs: { 'application-name': 'web', appspec: 'appspec.json', 'appspec-vars': 'CURRENT_VERSION=1\nTARGET_VERSION=2' },
      calls: ['GetApplication', 'GetDeploymentGroup'],
      says: /^::error::Input 'appspec': appspec\.json line \d+: describes a Lambda function \(Type AWS::Lambda::Function\), but application 'web' deploys to ECS\./
    },
    {
      name: 'a Server deployment config for the Lambda application',
      files: { 'appspec.json': LAMBDA_APPSPEC },
      inputs: {
        'application-name': 'fn',
        appspec: 'appspec.json',
        'appspec-vars': 'CURRENT_VERSION=1\nTARGET_VERSION=2',
        'deployment-config': 'CodeDeployDefault.OneAtATime'
      },
      calls: ['GetApplication', 'GetDeploymentGroup', 'GetDeploymentConfig'],
      says: /^::error::Input 'deployment-config': deployment config 'CodeDeployDefault\.OneAtATime' is for Server deployments; application 'fn' deploys to Lambda\. Fix: use a Lambda config such as CodeDeployDefault\.LambdaAllAtOnce/
    },
    {
      name: 'an appspec for an EC2/on-premises application',
      files: { 'appspec.yaml': ECS_APPSPEC },
      inputs: { ...ecs, 'application-name': 'sample-app' },
      calls: ['GetApplication'],
      says: /^::error::Input 'appspec' is set, but application 'sample-app' is an EC2\/on-premises \(Server\) application.* Fix: remove appspec/
    },
    {
      name: 'an ECS application without appspec',
      files: { 'app/appspec.yml': 'version: 0.0\nos: linux\n' },
      inputs: { 'application-name': 'web', 's3-bucket': 'bundles', 'source-dir': 'app' },
      calls: ['GetApplication'],
      says: /^::error::Input 'application-name': application 'web' deploys to ECS, which takes its AppSpec as content.* Fix: set `appspec` to the path of its AppSpec file/
    }
  ]

  test.each(cases.map(c => [c.name, c] as const))('%s', async (_name, c) => {
    await setup(200)
    for (const [rel, text] of Object.entries(c.files)) write(rel, text)
    const result = await run(c.inputs)
    expect(result.code).toBe(1)
    expect(errors(result)).toHaveLength(1)
    expect(errors(result)[0]).toMatch(c.says)
    expect(requests().map(r => r.operation)).toEqual(c.calls)
    expect(bed.tb.codedeploy.deployments()).toEqual([])
    expect(actionS3()).toEqual([])
    expect(result.outputs).toMatchObject({ 'deployment-id': '', status: '', uploaded: 'false' })
    expect(result.summary).toContain('❌')
  })
})
