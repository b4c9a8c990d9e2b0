/**
 * The workflows teams run: redeploying an earlier commit's bundle, several groups at once,
 * `wait: false`, and a GitHub deployment kept current in a GitHub environment.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { BUCKET, errorsOf, runWith, useTestbed, type CdRecord } from './harness.js'

const { startGithubApi } = await import('../../testbed/harness/github-api.mjs')

const OLD = 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'
const NEW = 'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'

const bed = useTestbed({
  groups: [
    { applicationName: 'sample-app', name: 'production', instances: 2 },
    { applicationName: 'sample-app', name: 'staging', instances: 2 }
  ]
})

const run = (sha: string, extra: Record<string, string> = {}, env: Record<string, string> = {}) => runWith(bed, { sha, inputs: extra, env })
const creates = (): CdRecord[] => bed.cdCalls('CreateDeployment')

describe('redeploying an earlier commit', () => {
  test('deploys the bundle already in S3 by its eTag, without packaging the workspace', async () => {
    const first = await run(OLD)
    expect(first.code).toBe(0)
    const before = await bed.tb.s3.getObject(BUCKET, `app/${OLD}.zip`)

    // The workspace now holds another commit (no appspec.yml even): nothing may be packaged from it.
    fs.rmSync(path.join(bed.ws.app, 'appspec.yml'))
    const redeploy = await run(NEW, { sha: OLD })
    expect(redeploy.code).toBe(0)
    expect(redeploy.outputs['uploaded']).toBe('false')
    expect(redeploy.outputs['sha']).toBe(OLD)
    expect(redeploy.outputs['bundle-uri']).toBe(`s3://${BUCKET}/app/${OLD}.zip`)
    expect(redeploy.outputs['bundle-etag']).toBe(before.etag.replace(/"/g, ''))
    expect(redeploy.stdout).toContain('nothing is packaged')
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([`app/${OLD}.zip`])
    expect((await bed.tb.s3.getObject(BUCKET, `app/${OLD}.zip`)).body.equals(before.body)).toBe(true)
    const second = creates()[1]!
    expect(second.input.revision.s3Location).toEqual({
      bucket: BUCKET,
      key: `app/${OLD}.zip`,
      bundleType: 'zip',
      eTag: before.etag.replace(/"/g, '')
    })
    expect(redeploy.outputs['status']).toBe('Succeeded')
  })

  test('upload: never with no bundle for that commit fails before CreateDeployment, naming the key', async () => {
    const result = await run(NEW, { sha: OLD, upload: 'never' })
    expect(result.code).toBe(1)
    const errors = errorsOf(result)
    expect(errors).toEqual([
      expect.stringContaining(`Input 'upload' is never, but there is no bundle at s3://${BUCKET}/app/${OLD}.zip. Fix:`)
    ])
    expect(creates()).toHaveLength(0)
    expect(await bed.tb.s3.listKeys(BUCKET)).toEqual([])
  })
})

describe('several deployment groups', () => {
  test('deploys the one bundle to each group concurrently, each streamed with its group as prefix', async () => {
    const result = await run(NEW, { 'deployment-group': 'production\nstaging' })
    expect(result.code).toBe(0)
    expect(
      creates()
        .map((r: { input: { deploymentGroupName: string } }) => r.input.deploymentGroupName)
        .sort()
    ).toEqual(['production', 'staging'])
    const keys = new Set(creates().map((r: { input: { revision: { s3Location: { key: string } } } }) => r.input.revision.s3Location.key))
    expect([...keys]).toEqual([`app/${NEW}.zip`])
    const deployments = JSON.parse(result.outputs['deployments']!)
    expect(deployments).toEqual([
      expect.objectContaining({ group: 'production', status: 'Succeeded', 'instances-total': 2 }),
      expect.objectContaining({ group: 'staging', status: 'Succeeded', 'instances-total': 2 })
    ])
    expect(result.stdout).toMatch(/^\[production\] Created deployment d-/m)
    expect(result.stdout).toMatch(/^\[staging\] Created deployment d-/m)
    expect(result.stdout).toMatch(/^\[staging\] +i-\w+ +ValidateService\s+Succeeded/m)
    expect(result.outputs['instances-total']).toBe('4')
  })

  test('fails the step when one group fails, and reports both', async () => {
    bed.tb.codedeploy.failHook({ event: 'AfterInstall', deploymentGroupName: 'staging', instanceId: '*' })
    const result = await run(NEW, { 'deployment-group': 'production\nstaging' })
    expect(result.code).toBe(1)
    const deployments = JSON.parse(result.outputs['deployments']!)
    expect(deployments.map((d: { group: string; status: string }) => [d.group, d.status])).toEqual([
      ['production', 'Succeeded'],
      ['staging', 'Failed']
    ])
    // The single-value outputs describe the group that failed.
    expect(result.outputs['status']).toBe('Failed')
    expect(result.outputs['failed-event']).toBe('AfterInstall')
    expect(result.outputs['deployment-id']).toBe(deployments[1]['deployment-id'])
    expect(errorsOf(result)[0]).toContain('(sample-app/staging) Failed')
  })
})

test('wait: false returns right after CreateDeployment with the id, the status and the link', async () => {
  // A slower simulator, so the deployment is still going when the action exits.
  await bed.start({ stepMs: 150, groups: [{ applicationName: 'sample-app', name: 'production', instances: 2 }] })
  const result = await run(NEW, { wait: 'false' })
  expect(result.code).toBe(0)
  const id = result.outputs['deployment-id']!
  expect(id).toMatch(/^d-/)
  expect(['Created', 'InProgress']).toContain(result.outputs['status'])
  expect(result.outputs['deployment-url']).toContain(id)
  expect(['Created', 'InProgress']).toContain(bed.tb.codedeploy.deployment(id).status)
  expect((await bed.tb.codedeploy.waitForEnd(id)).status).toBe('Succeeded')
})

describe('GitHub environments', () => {
  let github: Awaited<ReturnType<typeof startGithubApi>>
  const TOKEN = 'ghs_0123456789abcdefSECRETtoken'
  beforeEach(async () => {
    github = await startGithubApi()
  })
  afterEach(async () => {
    await github.stop()
  })

  test('records a GitHub deployment and keeps its status current, without ever printing the token', async () => {
    const result = await run(NEW, { 'github-environment': 'production', 'github-token': TOKEN }, { GITHUB_API_URL: github.url })
    expect(result.code).toBe(0)
    const [create, ...statuses] = github.requests
    expect(create).toEqual(expect.objectContaining({ method: 'POST', path: '/repos/octo-org/sample-app/deployments' }))
    expect(create!.body).toEqual(expect.objectContaining({ ref: NEW, environment: 'production', auto_merge: false, required_contexts: [] }))
    expect(create!.authorization).toBe(`token ${TOKEN}`)
    expect(statuses.map(s => [s.path, s.body.state])).toEqual([
      ['/repos/octo-org/sample-app/deployments/1000/statuses', 'in_progress'],
      ['/repos/octo-org/sample-app/deployments/1000/statuses', 'success']
    ])
    expect(statuses[0]!.body.log_url).toBe(result.outputs['deployment-url'])
    // The runner hides what ::add-mask:: names; everything else must not carry the token.
    const shown = result.stdout
      .split('\n')
      .filter((l: string) => !l.startsWith('::add-mask::'))
      .join('\n')
    expect(result.stdout).toContain(`::add-mask::${TOKEN}`)
    for (const text of [shown, result.stderr, result.summary, JSON.stringify(result.outputs)]) expect(text).not.toContain(TOKEN)
  })

  test('a failed deployment sets the GitHub deployment to failure', async () => {
    bed.tb.codedeploy.failHook({ event: 'ApplicationStart' })
    const result = await run(NEW, { 'github-environment': 'production', 'github-token': TOKEN }, { GITHUB_API_URL: github.url })
    expect(result.code).toBe(1)
    expect(github.requests.map(r => r.body?.state).filter(Boolean)).toEqual(['in_progress', 'failure'])
  })

  test('a token without deployments permission warns with the fix and still deploys', async () => {
    github.failWith = 403
    const result = await run(NEW, { 'github-environment': 'production', 'github-token': TOKEN }, { GITHUB_API_URL: github.url })
    expect(result.code).toBe(0)
    expect(result.outputs['status']).toBe('Succeeded')
    expect(result.commands).toContainEqual(
      expect.stringMatching(
        /^::warning::github-environment: could not record a GitHub deployment for 'production': .*permissions: deployments: write/
      )
    )
  })
})
