/**
 * github-deployment.ts against the local stand-in for GitHub's REST API (testbed/harness/github-api.mjs):
 * the deployment created for the commit, its statuses, and every failure a warning that never
 * fails the deployment nor shows the token.
 *
 * @actions/github reads GITHUB_API_URL when it is first imported (its Octokit defaults are built
 * then), so the stand-in is started and the variable set before the module under test is imported.
 */
import { LineLog } from '../../helpers/deps.js'
import type { GithubDeploymentOptions } from '../../../src/github/github-deployment.js'

const { startGithubApi } = await import('../../../testbed/harness/github-api.mjs')

const github = await startGithubApi()
const savedApiUrl = process.env['GITHUB_API_URL']
process.env['GITHUB_API_URL'] = github.url
const { GithubDeployment, GITHUB_CALL_MS } = await import('../../../src/github/github-deployment.js')

afterAll(async () => {
  if (savedApiUrl === undefined) delete process.env['GITHUB_API_URL']
  else process.env['GITHUB_API_URL'] = savedApiUrl
  await github.stop()
})

beforeEach(() => {
  github.requests.length = 0
  github.failWith = undefined
  github.stall = false
})

const TOKEN = 'ghs_0123456789abcdefSECRETtoken'
const SHA = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'
const LOG_URL = 'https://console.aws.amazon.com/codesuite/codedeploy/deployments/d-ABCDEF123?region=eu-west-1'
const options = {
  token: TOKEN,
  repository: 'octo-org/sample-app',
  environment: 'production',
  sha: SHA,
  description: 'octo-org/sample-app@bbbbbbb'
}

async function create(overrides: Partial<GithubDeploymentOptions> = {}, signal = new AbortController().signal) {
  const log = new LineLog()
  const deployment = await GithubDeployment.create({ ...options, ...overrides }, { log, signal })
  return { log, deployment }
}

/** How long `promise` took to settle, in ms. */
async function timed(promise: Promise<unknown>): Promise<number> {
  const started = Date.now()
  await promise
  return Date.now() - started
}

function expectNoToken(log: LineLog): void {
  for (const line of [...log.warnings, ...log.lines]) expect(line).not.toContain(TOKEN)
}

describe('GithubDeployment.create', () => {
  test('records a deployment of the commit in the environment, authorized by the token', async () => {
    const { log, deployment } = await create()
    expect(deployment?.id).toEqual(expect.any(Number))
    expect(github.requests).toHaveLength(1)
    const [request] = github.requests
    expect(request).toMatchObject({ method: 'POST', path: '/repos/octo-org/sample-app/deployments', authorization: `token ${TOKEN}` })
    expect(request?.body).toEqual({
      ref: SHA,
      environment: 'production',
      description: 'octo-org/sample-app@bbbbbbb',
      auto_merge: false,
      required_contexts: [],
      production_environment: true
    })
    expect(log.warnings).toEqual([])
  })

  // Named production, as GitHub's own default; a name that merely contains "prod" is not guessed to be production.
  test.each([
    ['production', true],
    ['Production', true],
    ['Prod-EU', false],
    ['preprod', false],
    ['staging', false],
    ['review-42', false]
  ])("environment '%s': production_environment %s", async (environment, production) => {
    await create({ environment })
    expect(github.requests[0]?.body).toMatchObject({ environment, production_environment: production })
  })

  test.each([
    ['preprod', true],
    ['production', false]
  ] as const)("environment '%s' with production %s says so", async (environment, production) => {
    await create({ environment, production })
    expect(github.requests[0]?.body).toMatchObject({ environment, production_environment: production })
  })

  test("its url is the environment's deployments page on the server", async () => {
    const { deployment } = await create({ environment: 'eu prod', serverUrl: 'https://ghe.example.com' })
    expect(deployment?.url).toBe('https://ghe.example.com/octo-org/sample-app/deployments/eu%20prod')
    expect((await create()).deployment?.url).toBe('https://github.com/octo-org/sample-app/deployments/production')
  })

  test('environmentUrl goes into every status as environment_url', async () => {
    const { deployment } = await create({ environmentUrl: 'https://shop.example.com' })
    await deployment?.setStatus('in_progress', 'in progress', LOG_URL)
    await deployment?.setStatus('success', 'done', undefined)
    expect(github.requests.slice(1).map(r => r.body.environment_url)).toEqual(['https://shop.example.com', 'https://shop.example.com'])
  })

  test.each(['sample-app', 'octo-org/', '/sample-app', '', 'octo-org/sample-app/extra'])(
    "GITHUB_REPOSITORY '%s': a warning, and no request",
    async repository => {
      const { log, deployment } = await create({ repository })
      expect(deployment).toBeUndefined()
      expect(github.requests).toEqual([])
      expect(log.warnings).toEqual([
        `github-environment: GITHUB_REPOSITORY ('${repository}') is not owner/name; no GitHub deployment recorded.`
      ])
    }
  )

  test('a token without deployments permission (403): a warning naming `deployments: write`, no deployment', async () => {
    github.failWith = 403
    const { log, deployment } = await create()
    expect(deployment).toBeUndefined()
    expect(github.requests.map(r => [r.method, r.path])).toEqual([['POST', '/repos/octo-org/sample-app/deployments']])
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(
      /^github-environment: could not record a GitHub deployment for 'production': .*Resource not accessible by integration/
    )
    expect(log.warnings[0]).toContain('Fix: give the job `permissions: deployments: write` (or pass a github-token that has it).')
    expectNoToken(log)
  })

  test('a token refused outright (401): the same fix', async () => {
    github.failWith = 401
    const { log, deployment } = await create()
    expect(deployment).toBeUndefined()
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toContain('`permissions: deployments: write`')
    expectNoToken(log)
  })

  test('a repository the token cannot see (404): a warning naming it and the token to pass', async () => {
    github.failWith = 404
    const { log, deployment } = await create()
    expect(deployment).toBeUndefined()
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toContain('GitHub says so when the token cannot see octo-org/sample-app: pass a github-token')
    expectNoToken(log)
  })

  test('another failure (500): a warning with what GitHub said, without the permission fix', async () => {
    github.failWith = 500
    const { log, deployment } = await create()
    expect(deployment).toBeUndefined()
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(
      /^github-environment: could not record a GitHub deployment for 'production': .*Resource not accessible by integration/
    )
    expect(log.warnings[0]).not.toContain('deployments: write')
    expectNoToken(log)
  })
})

describe('GithubDeployment.setStatus', () => {
  test('in_progress with the CodeDeploy console as its log, then success', async () => {
    const { log, deployment } = await create()
    await deployment?.setStatus('in_progress', 'CodeDeploy d-ABCDEF123 (production) in progress', LOG_URL)
    await deployment?.setStatus('success', 'Succeeded: 2 of 2 instances', LOG_URL)
    const statuses = github.requests.slice(1)
    const path = `/repos/octo-org/sample-app/deployments/${deployment?.id}/statuses`
    expect(statuses.map(r => [r.method, r.path, r.authorization])).toEqual([
      ['POST', path, `token ${TOKEN}`],
      ['POST', path, `token ${TOKEN}`]
    ])
    expect(statuses.map(r => r.body)).toEqual([
      {
        state: 'in_progress',
        environment: 'production',
        description: 'CodeDeploy d-ABCDEF123 (production) in progress',
        log_url: LOG_URL,
        auto_inactive: true
      },
      { state: 'success', environment: 'production', description: 'Succeeded: 2 of 2 instances', log_url: LOG_URL, auto_inactive: true }
    ])
    expect(log.warnings).toEqual([])
  })

  test('in_progress, then failure', async () => {
    const { deployment } = await create({ environment: 'staging' })
    await deployment?.setStatus('in_progress', 'in progress', LOG_URL)
    await deployment?.setStatus('failure', 'Failed: ApplicationStart on i-0abc', LOG_URL)
    expect(github.requests.map(r => r.body?.state)).toEqual([undefined, 'in_progress', 'failure'])
    expect(github.requests.slice(1).map(r => r.body?.environment)).toEqual(['staging', 'staging'])
  })

  test('each deployment posts its statuses under its own id', async () => {
    const first = await create()
    const second = await create({ environment: 'staging' })
    const firstId = first.deployment?.id ?? NaN
    // The stand-in numbers what it creates one after another.
    expect(second.deployment?.id).toBe(firstId + 1)
    await second.deployment?.setStatus('error', 'timed out', undefined)
    await first.deployment?.setStatus('success', 'done', undefined)
    expect(github.requests.slice(2).map(r => [r.path, r.body?.state, r.body?.environment])).toEqual([
      [`/repos/octo-org/sample-app/deployments/${firstId + 1}/statuses`, 'error', 'staging'],
      [`/repos/octo-org/sample-app/deployments/${firstId}/statuses`, 'success', 'production']
    ])
  })

  test('no log URL: no log_url sent', async () => {
    const { deployment } = await create()
    await deployment?.setStatus('failure', 'Failed before CodeDeploy started', undefined)
    expect(github.requests[1]?.body).toEqual({
      state: 'failure',
      environment: 'production',
      description: 'Failed before CodeDeploy started',
      auto_inactive: true
    })
  })

  test('a description over 140 characters is cut to 140, ending in an ellipsis', async () => {
    const { deployment } = await create()
    const long = 'x'.repeat(200)
    const exact = 'y'.repeat(140)
    await deployment?.setStatus('success', long, LOG_URL)
    await deployment?.setStatus('success', exact, LOG_URL)
    const [cut, kept] = github.requests.slice(1).map(r => String(r.body?.description))
    expect(cut).toBe(`${'x'.repeat(139)}…`)
    expect(cut).toHaveLength(140)
    expect(kept).toBe(exact)
  })

  test('refused (403): a warning naming the state and `deployments: write`, never a throw', async () => {
    const { log, deployment } = await create()
    github.failWith = 403
    await expect(deployment?.setStatus('success', 'Succeeded', LOG_URL)).resolves.toBeUndefined()
    expect(github.requests).toHaveLength(2)
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(
      /^github-environment: could not set the GitHub deployment's status to success: .*Resource not accessible by integration/
    )
    expect(log.warnings[0]).toContain('`permissions: deployments: write`')
    expectNoToken(log)
  })

  test('another failure (502): a warning without the permission fix', async () => {
    const { log, deployment } = await create()
    github.failWith = 502
    await deployment?.setStatus('in_progress', 'in progress', LOG_URL)
    expect(log.warnings).toHaveLength(1)
    expect(log.warnings[0]).toMatch(/^github-environment: could not set the GitHub deployment's status to in_progress: /)
    expect(log.warnings[0]).not.toContain('deployments: write')
    expectNoToken(log)
  })
})

describe('GitHub taking a request and never answering', () => {
  test('the default limit is 10 s a call', () => {
    expect(GITHUB_CALL_MS).toBe(10_000)
  })

  test('creating the deployment gives up at the limit: a warning, no deployment, the deploy goes on', async () => {
    github.stall = true
    let made: Awaited<ReturnType<typeof create>> | undefined
    const took = await timed(create({ callLimitMs: 300 }).then(result => (made = result)))
    expect(made?.deployment).toBeUndefined()
    expect(github.requests).toHaveLength(1)
    expect(took).toBeGreaterThanOrEqual(290)
    expect(took).toBeLessThan(3000)
    expect(made?.log.warnings).toEqual([
      expect.stringMatching(
        /^github-environment: could not record a GitHub deployment for 'production': GitHub did not answer within 0\.3 s/
      )
    ])
  })

  test('a status gives up at the limit with a warning, never a throw', async () => {
    const { log, deployment } = await create({ callLimitMs: 300 })
    github.stall = true
    const took = await timed(deployment!.setStatus('in_progress', 'in progress', LOG_URL))
    expect(took).toBeLessThan(3000)
    expect(log.warnings).toEqual([
      expect.stringMatching(
        /^github-environment: could not set the GitHub deployment's status to in_progress: GitHub did not answer within 0\.3 s/
      )
    ])
  })

  test('a cancel ends the creation at once; the last status is still sent after it, within its limit', async () => {
    const cancel = new AbortController()
    const { log, deployment } = await create({ callLimitMs: 300 }, cancel.signal)
    github.stall = true
    const creating = create({ callLimitMs: 60_000 }, cancel.signal)
    setTimeout(() => cancel.abort(), 50)
    expect(await timed(creating)).toBeLessThan(1000)
    // The status that says how it ended goes out after the cancel; only its time limit ends it.
    github.stall = false
    await deployment!.setStatus('error', 'Cancelled', LOG_URL)
    expect(github.requests.at(-1)?.body).toMatchObject({ state: 'error' })
    expect(log.warnings).toEqual([])
  })
})
