/**
 * deploy.ts: the checks before anything is uploaded, and CreateDeployment, including a group that
 * is busy with another deployment (waited for, naming it, within the time-out).
 */
import { ActionError } from '../../../src/core/errors.js'
import { createDeployment, type DeploymentRequest } from '../../../src/deploy/create-deployment.js'
import { preflight } from '../../../src/deploy/preflight.js'
import { FakeClock } from '../../helpers/clock.js'
import { awsError, FakeCodeDeploy, type Handler } from '../../helpers/codedeploy.js'
import { fakeDeps, LineLog } from '../../helpers/deps.js'

const MINUTE = 60_000
const BUSY = 'd-BUSY00001'
const refusal = (): Error =>
  awsError('DeploymentLimitExceededException', 400, `The Deployment Group 'production' already has an active Deployment '${BUSY}'`)

const request: DeploymentRequest = {
  applicationName: 'shop',
  group: 'production',
  config: undefined,
  revision: {
    bucket: 'bundles',
    key: 'shop/abc.zip',
    bundleType: 'zip',
    eTag: 'etag1',
    version: undefined,
    sha256: 'a'.repeat(64),
    size: 10,
    uploaded: true
  },
  description: 'octo/shop@abc',
  fileExistsBehavior: undefined,
  ignoreApplicationStopFailures: false
}

function setup(handlers: Partial<Record<string, Handler>>, minutes = 10) {
  const clock = new FakeClock()
  const cd = new FakeCodeDeploy(handlers)
  const log = new LineLog()
  const deadline = clock.now() + minutes * MINUTE
  const create = (signal?: AbortSignal): Promise<string> =>
    createDeployment(request, fakeDeps({ codedeploy: cd.client, clock, deadline, log, ...(signal ? { signal } : {}) }))
  return { clock, cd, lines: log.lines, create }
}

describe('createDeployment', () => {
  test('sends the revision by eTag and returns the id', async () => {
    const { cd, create } = setup({ CreateDeployment: () => ({ deploymentId: 'd-NEW000001' }) })
    expect(await create()).toBe('d-NEW000001')
    expect(cd.inputs('CreateDeployment')[0]).toMatchObject({
      applicationName: 'shop',
      deploymentGroupName: 'production',
      revision: { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'shop/abc.zip', bundleType: 'zip', eTag: 'etag1' } }
    })
  })

  test('a busy group: names the deployment holding it, waits for its end, then creates ours', async () => {
    const statuses = ['InProgress', 'InProgress', 'InProgress', 'Succeeded']
    const { cd, clock, lines, create } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw refusal()
        return { deploymentId: 'd-OURS00001' }
      },
      ListDeployments: () => ({ deployments: [BUSY] }),
      GetDeployment: (_input, call) => ({ deploymentInfo: { deploymentId: BUSY, status: statuses[call] } })
    })
    expect(await create()).toBe('d-OURS00001')
    expect(cd.inputs('ListDeployments')[0]).toMatchObject({
      applicationName: 'shop',
      deploymentGroupName: 'production',
      includeOnlyStatuses: ['Created', 'Queued', 'InProgress', 'Baking', 'Ready']
    })
    expect(lines).toEqual([
      `Deployment group 'production' is busy with deployment ${BUSY}; waiting for it to end (within timeout-minutes), then deploying.`,
      `Deployment ${BUSY} ended (Succeeded); creating ours.`
    ])
    // A first look soon, then less often.
    expect(clock.sleeps).toEqual([2000, 4000, 8000, 10_000])
    expect(cd.count('CreateDeployment')).toBe(2)
  })

  test('a group busy with a Baking deployment (ECS, the new task set soaking) is busy: named and waited for', async () => {
    const statuses = ['Baking', 'Succeeded']
    const { lines, create } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw refusal()
        return { deploymentId: 'd-OURS00001' }
      },
      // As the service does: only the deployments in the statuses asked for.
      ListDeployments: input => ({
        deployments: (input as { includeOnlyStatuses?: string[] }).includeOnlyStatuses?.includes('Baking') ? [BUSY] : []
      }),
      GetDeployment: (_input, call) => ({ deploymentInfo: { deploymentId: BUSY, status: statuses[call] } })
    })
    expect(await create()).toBe('d-OURS00001')
    expect(lines[0]).toContain(`busy with deployment ${BUSY}`)
  })

  test('after a lost answer, our own deployment is adopted while it is Baking', async () => {
    const { cd, lines, create } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw awsError('InternalFailure', 500)
        throw refusal()
      },
      ListDeployments: input => ({
        deployments: (input as { includeOnlyStatuses?: string[] }).includeOnlyStatuses?.includes('Baking') ? [BUSY] : []
      }),
      BatchGetDeployments: () => ({
        deploymentsInfo: [
          {
            deploymentId: BUSY,
            status: 'Baking',
            description: request.description,
            revision: { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'shop/abc.zip', bundleType: 'zip', eTag: 'etag1' } }
          }
        ]
      })
    })
    expect(await create()).toBe(BUSY)
    expect(lines.join('\n')).toMatch(/answer was lost|this run's own/)
    expect(cd.count('CreateDeployment')).toBe(1)
  })

  test('the deadline already past (packaging and upload used it up): nothing is created', async () => {
    const { cd, clock, create } = setup({ CreateDeployment: () => ({ deploymentId: 'd-NEW000001' }) }, 1)
    await clock.sleep(MINUTE)
    const error = await create().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).describe()).toMatch(
      /^Input 'timeout-minutes': timeout-minutes ran out before the deployment to shop\/production was created: nothing was deployed\. Fix: raise timeout-minutes: it counts from the start of the step/
    )
    expect(cd.count('CreateDeployment')).toBe(0)
  })

  test('busy until the deadline: fails naming the deployment and the fix', async () => {
    const { cd, create } = setup(
      {
        CreateDeployment: () => {
          throw refusal()
        },
        ListDeployments: () => ({ deployments: [BUSY] }),
        GetDeployment: () => ({ deploymentInfo: { deploymentId: BUSY, status: 'InProgress' } })
      },
      2
    )
    const error = await create().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ActionError)
    expect((error as ActionError).describe()).toBe(
      `Input 'timeout-minutes': deployment group 'production' stayed busy with deployment ${BUSY} until the time-out. Fix: wait for ${BUSY} to finish (or stop it), or raise timeout-minutes.`
    )
    expect((error as ActionError).code).toBe('DeploymentLimitExceededException')
    expect(cd.count('CreateDeployment')).toBe(1)
  })

  test('without codedeploy:ListDeployments, the id comes from the refusal itself', async () => {
    const { lines, create } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw refusal()
        return { deploymentId: 'd-OURS00001' }
      },
      ListDeployments: () => {
        throw awsError('AccessDeniedException')
      },
      GetDeployment: () => ({ deploymentInfo: { deploymentId: BUSY, status: 'Stopped' } })
    })
    expect(await create()).toBe('d-OURS00001')
    expect(lines[0]).toContain(`busy with deployment ${BUSY}`)
  })

  test('throttling and transient read errors while waiting are ridden out', async () => {
    const { create } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw awsError('ThrottlingException', 400)
        if (call === 1) throw refusal()
        return { deploymentId: 'd-OURS00001' }
      },
      ListDeployments: () => ({ deployments: [BUSY] }),
      GetDeployment: (_input, call) => {
        if (call === 0) throw awsError('InternalFailure', 500)
        return { deploymentInfo: { deploymentId: BUSY, status: 'Failed' } }
      }
    })
    expect(await create()).toBe('d-OURS00001')
  })

  test('cancelled while waiting: says so, creates nothing', async () => {
    const controller = new AbortController()
    const { cd, clock, create } = setup({
      CreateDeployment: () => {
        throw refusal()
      },
      ListDeployments: () => ({ deployments: [BUSY] }),
      GetDeployment: () => ({ deploymentInfo: { deploymentId: BUSY, status: 'InProgress' } })
    })
    clock.onSleep = () => controller.abort()
    const error = await create(controller.signal).catch((e: unknown) => e)
    expect((error as Error).message).toBe('Cancelled while waiting for the deployment group to be free.')
    expect(cd.count('CreateDeployment')).toBe(1)
  })

  test('an ECS or Lambda AppSpec goes as content with its sha256, without the bundle-only settings', async () => {
    const cd = new FakeCodeDeploy({ CreateDeployment: () => ({ deploymentId: 'd-ECS000001' }) })
    const content = 'version: 0.0\n'
    const id = await createDeployment(
      {
        ...request,
        fileExistsBehavior: 'OVERWRITE',
        ignoreApplicationStopFailures: true,
        revision: { revisionType: 'AppSpecContent', content, sha256: 'c'.repeat(64) }
      },
      fakeDeps({ codedeploy: cd.client })
    )
    expect(id).toBe('d-ECS000001')
    const sent = cd.inputs('CreateDeployment')[0]!
    expect(sent['revision']).toEqual({ revisionType: 'AppSpecContent', appSpecContent: { content, sha256: 'c'.repeat(64) } })
    expect(Object.keys(sent)).not.toContain('fileExistsBehavior')
    expect(Object.keys(sent)).not.toContain('ignoreApplicationStopFailures')
  })

  test('AccessDenied on CreateDeployment names the permission', async () => {
    const { create } = setup({
      CreateDeployment: () => {
        throw awsError('AccessDeniedException', 400, 'User is not authorized')
      }
    })
    const error = (await create().catch((e: unknown) => e)) as ActionError
    expect(error.describe()).toMatch(/codedeploy:CreateDeployment on deployment group shop\/production/)
  })
})

describe('preflight', () => {
  const check = (config?: string, appspec?: string) => ({ applicationName: 'shop', groups: ['production'], config, appspec })
  const ok: Partial<Record<string, Handler>> = {
    GetApplication: () => ({ application: { applicationName: 'shop', computePlatform: 'Server' } }),
    GetDeploymentGroup: () => ({ deploymentGroupInfo: { deploymentGroupName: 'production' } }),
    GetDeploymentConfig: () => ({ deploymentConfigInfo: { deploymentConfigName: 'CodeDeployDefault.AllAtOnce' } })
  }
  const run = (override: Partial<Record<string, Handler>>, config?: string) =>
    preflight(check(config), fakeDeps({ codedeploy: new FakeCodeDeploy({ ...ok, ...override }).client })).then(
      () => undefined,
      (e: unknown) => (e as ActionError).describe()
    )

  test.each([
    [
      'an unknown application',
      {
        GetApplication: () => {
          throw awsError('ApplicationDoesNotExistException')
        }
      },
      undefined,
      /^Input 'application-name': application 'shop' does not exist in this account and region\. Fix: /
    ],
    [
      'a Lambda application without appspec',
      { GetApplication: () => ({ application: { computePlatform: 'Lambda' } }) },
      undefined,
      /^Input 'application-name': application 'shop' deploys to Lambda, which takes its AppSpec as content.* Fix: set `appspec` to the path of its AppSpec file .*examples\/lambda-appspec\.yaml.*or name an EC2\/on-premises application\.$/
    ],
    [
      'an unknown group',
      {
        GetDeploymentGroup: () => {
          throw awsError('DeploymentGroupDoesNotExistException')
        }
      },
      undefined,
      /^Input 'deployment-group': deployment group 'production' does not exist in application 'shop'\./
    ],
    [
      'an unknown config',
      {
        GetDeploymentConfig: () => {
          throw awsError('DeploymentConfigDoesNotExistException')
        }
      },
      'Custom.Nope',
      /^Input 'deployment-config': deployment config 'Custom\.Nope' does not exist\./
    ]
  ])('%s is refused with the input to fix', async (_why, override, config, message) => {
    expect(await run(override as Partial<Record<string, Handler>>, config)).toMatch(message)
  })

  test('all there: passes, and reads the config only when one is named', async () => {
    const cd = new FakeCodeDeploy(ok)
    expect(await preflight(check(), fakeDeps({ codedeploy: cd.client }))).toEqual({ platform: 'Server', ecsServices: new Map() })
    expect(cd.calls.map(c => c.command)).toEqual(['GetApplication', 'GetDeploymentGroup'])
  })

  const ecs: Partial<Record<string, Handler>> = {
    GetApplication: () => ({ application: { applicationName: 'web', computePlatform: 'ECS' } }),
    GetDeploymentGroup: () => ({
      deploymentGroupInfo: { deploymentGroupName: 'production', ecsServices: [{ clusterName: 'main', serviceName: 'web' }] }
    }),
    GetDeploymentConfig: input => ({
      deploymentConfigInfo: {
        deploymentConfigName: input['deploymentConfigName'],
        computePlatform: String(input['deploymentConfigName']).includes('ECS') ? 'ECS' : 'Server'
      }
    })
  }

  test("an ECS application with an appspec: its platform and each group's service, a traffic-shifting config accepted", async () => {
    const cd = new FakeCodeDeploy(ecs)
    const found = await preflight(
      check('CodeDeployDefault.ECSCanary10Percent5Minutes', 'appspec.yaml'),
      fakeDeps({ codedeploy: cd.client })
    )
    expect(found).toEqual({ platform: 'ECS', ecsServices: new Map([['production', 'main/web']]) })
    expect(cd.calls.map(c => c.command)).toEqual(['GetApplication', 'GetDeploymentGroup', 'GetDeploymentConfig'])
  })

  test('an ECS application refuses a Server config, naming the input and configs that fit', async () => {
    const error = await preflight(
      check('CodeDeployDefault.OneAtATime', 'appspec.yaml'),
      fakeDeps({ codedeploy: new FakeCodeDeploy(ecs).client })
    ).then(
      () => undefined,
      (e: unknown) => e as ActionError
    )
    expect(error?.describe()).toBe(
      "Input 'deployment-config': deployment config 'CodeDeployDefault.OneAtATime' is for Server deployments; application 'shop' deploys to ECS. Fix: use an ECS config such as CodeDeployDefault.ECSAllAtOnce, ECSLinear10PercentEvery1Minutes or ECSCanary10Percent5Minutes, or leave it empty for the group's own."
    )
  })

  test('an appspec for an EC2/on-premises application is refused before the groups are read', async () => {
    const cd = new FakeCodeDeploy(ok)
    const error = await preflight(check(undefined, 'appspec.yaml'), fakeDeps({ codedeploy: cd.client })).then(
      () => undefined,
      (e: unknown) => e as ActionError
    )
    expect(error?.input).toBe('appspec')
    expect(error?.describe()).toMatch(
      /^Input 'appspec' is set, but application 'shop' is an EC2\/on-premises \(Server\) application.* Fix: remove appspec \(and appspec-vars\) and set s3-bucket and source-dir/
    )
    expect(cd.calls.map(c => c.command)).toEqual(['GetApplication'])
  })

  test('throttling, a 503 and a dropped connection in a row are ridden out; a lasting fault is not', async () => {
    const faults = [
      awsError('ThrottlingException', 400),
      awsError('ServiceUnavailableException', 503),
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    ]
    let calls = 0
    const flaky = new FakeCodeDeploy({
      ...ok,
      GetDeploymentGroup: () => {
        const fault = faults[calls++]
        if (fault) throw fault
        return ok.GetDeploymentGroup!({}, 0)
      }
    })
    await preflight(check(), fakeDeps({ codedeploy: flaky.client }))
    expect(calls).toBe(4)
    const down = new FakeCodeDeploy({
      ...ok,
      GetDeploymentGroup: () => {
        throw awsError('ServiceUnavailableException', 503)
      }
    })
    const error = await preflight(check(), fakeDeps({ codedeploy: down.client })).then(
      () => undefined,
      (e: unknown) => e as ActionError
    )
    expect(error?.describe()).toMatch(/reading the deployment group failed/)
    expect(down.calls.filter(c => c.command === 'GetDeploymentGroup')).toHaveLength(6)
  })
})

describe('a CreateDeployment whose answer is lost', () => {
  const mine = {
    deploymentId: 'd-MINE00001',
    description: request.description,
    revision: { revisionType: 'S3', s3Location: { bucket: 'bundles', key: 'shop/abc.zip', bundleType: 'zip', eTag: 'etag1' } }
  }
  test('adopts the deployment it created instead of starting a second one', async () => {
    const { create, cd, lines } = setup({
      CreateDeployment: () => {
        throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
      },
      ListDeployments: () => ({ deployments: ['d-MINE00001'] }),
      BatchGetDeployments: () => ({ deploymentsInfo: [mine] })
    })
    expect(await create()).toBe('d-MINE00001')
    expect(cd.calls.filter(c => c.command === 'CreateDeployment')).toHaveLength(1)
    expect(lines.join('\n')).toContain('answer was lost')
  })

  test('an AppSpec deployment is recognised by its sha256; another AppSpec is not adopted', async () => {
    const content = { revisionType: 'AppSpecContent' as const, content: 'version: 0.0\n', sha256: 'c'.repeat(64) }
    const info = (id: string, sha256: string) => ({
      deploymentId: id,
      description: request.description,
      revision: { revisionType: 'AppSpecContent', appSpecContent: { sha256 } }
    })
    const lost = () => {
      throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    }
    const adopt = new FakeCodeDeploy({
      CreateDeployment: lost,
      ListDeployments: () => ({ deployments: ['d-MINE00001'] }),
      BatchGetDeployments: () => ({ deploymentsInfo: [info('d-MINE00001', 'c'.repeat(64))] })
    })
    expect(await createDeployment({ ...request, revision: content }, fakeDeps({ codedeploy: adopt.client }))).toBe('d-MINE00001')
    let creates = 0
    const other = new FakeCodeDeploy({
      CreateDeployment: () => {
        if (creates++ === 0) lost()
        return { deploymentId: 'd-NEW000001' }
      },
      ListDeployments: () => ({ deployments: ['d-OTHER0001'] }),
      BatchGetDeployments: () => ({ deploymentsInfo: [info('d-OTHER0001', 'd'.repeat(64))] })
    })
    expect(await createDeployment({ ...request, revision: content }, fakeDeps({ codedeploy: other.client }))).toBe('d-NEW000001')
  })

  test('a retry after a lost answer, refused because of that very deployment, adopts it', async () => {
    let lists = 0
    const { create, cd, lines } = setup({
      CreateDeployment: (_input, call) => {
        if (call === 0) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
        throw refusal()
      },
      // Not listed yet right after the lost answer; listed when the retry is refused.
      ListDeployments: () => ({ deployments: lists++ === 0 ? [] : ['d-MINE00001'] }),
      BatchGetDeployments: () => ({ deploymentsInfo: [mine] })
    })
    expect(await create()).toBe('d-MINE00001')
    expect(cd.count('CreateDeployment')).toBe(2)
    expect(lines.at(-1)).toBe("Deployment d-MINE00001 is this run's own (an earlier CreateDeployment answer was lost): following it.")
  })

  test("without a lost answer, an active deployment of the same bundle and description is another run's (a re-run): waited for, not adopted", async () => {
    let creates = 0
    const { create, cd } = setup({
      CreateDeployment: () => {
        if (creates++ === 0) throw refusal()
        return { deploymentId: 'd-NEW000001' }
      },
      ListDeployments: () => ({ deployments: [BUSY] }),
      BatchGetDeployments: () => ({ deploymentsInfo: [{ ...mine, deploymentId: BUSY }] }),
      GetDeployment: () => ({ deploymentInfo: { deploymentId: BUSY, status: 'Succeeded' } })
    })
    expect(await create()).toBe('d-NEW000001')
    expect(cd.count('CreateDeployment')).toBe(2)
    expect(cd.count('BatchGetDeployments')).toBe(0)
  })

  test("another run's deployment of other bytes is not adopted: waits for it instead", async () => {
    let creates = 0
    const { create, cd } = setup({
      CreateDeployment: () => {
        if (creates++ === 0) throw refusal()
        return { deploymentId: 'd-NEW000001' }
      },
      ListDeployments: () => ({ deployments: [BUSY] }),
      BatchGetDeployments: () => ({
        deploymentsInfo: [
          { ...mine, deploymentId: BUSY, revision: { revisionType: 'S3', s3Location: { ...mine.revision.s3Location, eTag: 'other' } } }
        ]
      }),
      GetDeployment: () => ({ deploymentInfo: { deploymentId: BUSY, status: 'Succeeded' } })
    })
    expect(await create()).toBe('d-NEW000001')
    expect(cd.calls.filter(c => c.command === 'CreateDeployment')).toHaveLength(2)
  })
})
