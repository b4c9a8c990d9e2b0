/**
 * The inputs of issue 12 through the built action, each accepted (asserting on what the test bed's
 * S3 and CodeDeploy received) and refused (one error naming the input, nothing written, nothing
 * deployed); and the outputs a chat message is built from.
 */
import * as crypto from 'node:crypto'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { BUCKET, errorsOf, runWith, useTestbed, type Inputs, type RunResult } from './harness.js'
import { run } from '../helpers/archive.js'

const { startGithubApi } = await import('../../testbed/harness/github-api.mjs')

const SHA = '7777777777777777777777777777777777777777'
const bed = useTestbed({ per: 'file', instances: 2, sha: SHA })

const unescape = (data: string): string => data.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%')
const sha256 = (data: Buffer): string => crypto.createHash('sha256').update(data).digest('hex')

/** The CreateDeployment requests of the last run (the test bed is shared by the file). */
function lastCreate(before: number): Record<string, unknown> {
  const calls = bed.tb.codedeploy.requests.slice(before).filter((r: { operation: string }) => r.operation === 'CreateDeployment')
  expect(calls).toHaveLength(1)
  return calls[0]!.input as Record<string, unknown>
}

let runs = 0

/**
 * Runs the action; returns the result and the CreateDeployment body it sent. A run that packages
 * the default commit gets a key of its own: the runs of this file build different bundles for one
 * commit, which an unversioned bucket rightly refuses to take twice under one key.
 */
async function deploy(inputs: Inputs, env: Record<string, string> = {}): Promise<{ result: RunResult; body: Record<string, unknown> }> {
  const before = bed.tb.codedeploy.requests.length
  const ownKey = ['sha', 'bundle', 's3-key'].some(name => name in inputs) ? {} : { 's3-key-prefix': `run-${++runs}/` }
  const result = await runWith(bed, { inputs: { ...ownKey, ...inputs }, env })
  expect(errorsOf(result, 'all')).toEqual([])
  expect(result.code).toBe(0)
  return { result, body: lastCreate(before) }
}

/** Runs the action with a mistake: exactly one error naming `input`, and nothing written or deployed. */
async function refused(inputs: Inputs, input: string, says: RegExp): Promise<void> {
  const s3Before = bed.tb.s3.requests.length
  const cdBefore = bed.tb.codedeploy.requests.length
  const keysBefore = await bed.tb.s3.listKeys(BUCKET)
  const result = await runWith(bed, { inputs })
  expect(result.code).toBe(1)
  const errors = errorsOf(result, 'all').map(e => unescape(e.replace(/^::error[^:]*::/, '')))
  expect(errors).toHaveLength(1)
  expect(errors[0]).toContain(`Input '${input}'`)
  expect(errors[0]).toMatch(says)
  expect(errors[0]).toMatch(/ Fix: \S.{10,}/)
  const writes = bed.tb.s3.requests.slice(s3Before).filter((r: { method: string }) => ['PUT', 'POST', 'DELETE'].includes(r.method))
  expect(writes).toEqual([])
  expect(bed.tb.codedeploy.requests.slice(cdBefore).map((r: { operation: string }) => r.operation)).not.toContain('CreateDeployment')
  expect(await bed.tb.s3.listKeys(BUCKET)).toEqual(keysBefore)
  expect(result.outputs['result']).toBe('failed')
}

/** The sample app packed by a build step, the way a workflow would (no .git, no node_modules). */
function pack(name: string, from = bed.ws.app): string {
  const out = path.join(bed.ws.root, 'dist', name)
  fs.mkdirSync(path.dirname(out), { recursive: true })
  if (name.endsWith('.zip')) run('sh', ['-c', `cd "${from}" && zip -q -r "${out}" . -x '.git/*' 'node_modules/*'`])
  else run('tar', ['-C', from, '--exclude=.git', '--exclude=node_modules', name.endsWith('.tar') ? '-cf' : '-czf', out, '.'])
  return out
}

async function seed(key: string, body: Buffer): Promise<string> {
  const out = await bed.tb.s3.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }))
  return (out.ETag ?? '').replace(/"/g, '')
}

describe('bundle-type: tar', () => {
  test('accepted: the key ends in .tar and CodeDeploy is told bundleType tar', async () => {
    const sha = 'a1'.repeat(20)
    const eTag = await seed(`app/${sha}.tar`, fs.readFileSync(pack('seed.tar')))
    const { result, body } = await deploy({ 'bundle-type': 'tar', sha, upload: 'never' })
    expect(body['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: BUCKET, key: `app/${sha}.tar`, bundleType: 'tar', eTag }
    })
    expect(result.outputs['status']).toBe('Succeeded')
  })

  test('refused: rar', () => refused({ 'bundle-type': 'rar' }, 'bundle-type', /'rar' is not a valid value.*zip, tar, tgz/))
})

describe('bundle: an archive built earlier', () => {
  test.each([
    ['app.zip', 'zip', `app/${SHA}.zip`, {}],
    ['app.tar', 'tar', `app/${SHA}.tar`, {}],
    ['app.tar.gz', 'tgz', 'releases/shop-1.0.0.tgz', { 's3-key': 'releases/shop-1.0.0.tgz', 's3-key-prefix': '' }]
  ])('accepted: %s is uploaded byte for byte and deployed as %s', async (name, type, key, extra) => {
    const file = pack(name)
    const { result, body } = await deploy({ bundle: `dist/${name}`, 'source-dir': undefined, upload: 'always', ...extra })
    const object = await bed.tb.s3.getObject(BUCKET, key)
    expect(object.body.equals(fs.readFileSync(file))).toBe(true)
    expect(body['revision']).toMatchObject({ s3Location: { key, bundleType: type } })
    expect(result.outputs).toMatchObject({ status: 'Succeeded', 'bundle-sha256': sha256(fs.readFileSync(file)), uploaded: 'true' })
    expect(fs.existsSync(file)).toBe(true) // the user's archive is left where it was
  })

  test('refused: appspec.yml not at the root of the archive', () => {
    pack('nested.zip', bed.ws.root)
    return refused(
      { bundle: 'dist/nested.zip', 'source-dir': undefined },
      'bundle',
      /has no appspec\.yml at its root; found app\/appspec\.yml/
    )
  })

  test('refused: bundle together with source-dir', () => {
    pack('app.zip')
    return refused({ bundle: 'dist/app.zip' }, 'source-dir', /set together with bundle/)
  })
})

describe('s3-key', () => {
  test('accepted: with upload: never, an object another pipeline left is deployed as its extension says', async () => {
    const eTag = await seed('artifacts/build-77.tgz', fs.readFileSync(pack('build.tgz')))
    const s3Before = bed.tb.s3.requests.length
    const { body } = await deploy({ 's3-key': 'artifacts/build-77.tgz', 's3-key-prefix': undefined, upload: 'never' })
    expect(body['revision']).toEqual({
      revisionType: 'S3',
      s3Location: { bucket: BUCKET, key: 'artifacts/build-77.tgz', bundleType: 'tgz', eTag }
    })
    expect(bed.tb.s3.requests.slice(s3Before).filter((r: { method: string }) => r.method === 'PUT')).toEqual([])
  })

  test('refused: an s3:// URI', () =>
    refused({ 's3-key': 's3://bundles/app.zip', 's3-key-prefix': undefined }, 's3-key', /not a usable S3 key/))
})

describe('CreateDeployment overrides', () => {
  test('by default nothing overrides the group: no rollback, alarm or outdated-only field is sent', async () => {
    const { body } = await deploy({})
    expect(body).not.toHaveProperty('autoRollbackConfiguration')
    expect(body).not.toHaveProperty('overrideAlarmConfiguration')
    expect(body).not.toHaveProperty('updateOutdatedInstancesOnly')
  })

  test('accepted: update-outdated-instances-only, auto-rollback events and alarms off', async () => {
    const { body, result } = await deploy({
      'update-outdated-instances-only': 'true',
      'auto-rollback': 'DEPLOYMENT_FAILURE\ndeployment_stop_on_request',
      alarms: 'off'
    })
    expect(body).toMatchObject({
      updateOutdatedInstancesOnly: true,
      autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] },
      overrideAlarmConfiguration: { enabled: false, alarms: [] }
    })
    expect(result.outputs['status']).toBe('Succeeded')
  })

  test('accepted: auto-rollback off', async () => {
    expect((await deploy({ 'auto-rollback': 'off' })).body['autoRollbackConfiguration']).toEqual({ enabled: false })
  })

  test('refused: update-outdated-instances-only yes', () =>
    refused({ 'update-outdated-instances-only': 'yes' }, 'update-outdated-instances-only', /not a boolean/))
  test('refused: an unknown rollback event', () =>
    refused({ 'auto-rollback': 'DEPLOYMENT_FAILURE, ON_TIMEOUT' }, 'auto-rollback', /'ON_TIMEOUT' is not a rollback event/))
  test('refused: alarms none', () => refused({ alarms: 'none' }, 'alarms', /'none' is not a valid value.*group, off/))
})

describe('description', () => {
  test('a long one is cut to the service limit of 512, and CodeDeploy accepts it', async () => {
    const { body } = await deploy({ description: 'release notes: '.repeat(60) })
    const description = body['description'] as string
    expect(description).toHaveLength(512)
    expect(description.endsWith('…')).toBe(true)
  })
})

describe('GitHub environment', () => {
  let github: Awaited<ReturnType<typeof startGithubApi>>
  beforeEach(async () => {
    github = await startGithubApi()
  })
  afterEach(async () => {
    await github.stop()
  })

  test.each([
    ['preprod', undefined, false],
    ['preprod', 'true', true],
    ['production', undefined, true]
  ])('accepted: %s with github-environment-production %p records production_environment %p', async (environment, production, expected) => {
    const { result } = await deploy(
      {
        'github-environment': environment,
        'github-token': 'ghs_test',
        'github-environment-production': production,
        'github-environment-url': 'https://preprod.shop.example'
      },
      { GITHUB_API_URL: github.url, GITHUB_REPOSITORY: 'octo/shop', GITHUB_SERVER_URL: 'https://github.com' }
    )
    const [created, ...statuses] = github.requests
    expect(created?.body).toMatchObject({ environment, production_environment: expected })
    expect(statuses.map(s => s.body.environment_url)).toEqual(statuses.map(() => 'https://preprod.shop.example'))
    expect(statuses.length).toBeGreaterThan(0)
    expect(result.outputs['github-deployment-url']).toBe(`https://github.com/octo/shop/deployments/${environment}`)
  })

  test('refused: github-environment-url without a scheme', () =>
    refused(
      { 'github-environment': 'staging', 'github-token': 'ghs_test', 'github-environment-url': 'staging.shop.example' },
      'github-environment-url',
      /not an http\(s\) URL/
    ))
  test('refused: github-environment-production without github-environment', () =>
    refused({ 'github-environment-production': 'true' }, 'github-environment-production', /github-environment is empty/))
})

describe('outputs for a chat message', () => {
  test('a success', async () => {
    const { result } = await deploy({})
    expect(result.outputs).toMatchObject({
      'application-name': 'sample-app',
      'deployment-group': 'production',
      result: 'succeeded',
      'failed-script': '',
      'log-tail': '',
      'failed-instances': '[]',
      'rollback-status': '',
      'github-deployment-url': ''
    })
    const started = Date.parse(result.outputs['started-at']!)
    const ended = Date.parse(result.outputs['ended-at']!)
    expect(result.outputs['started-at']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(ended).toBeGreaterThanOrEqual(started)
  })

  test('a failed hook: failed-script, log-tail and every failed instance', async () => {
    bed.tb.codedeploy.failHook({
      event: 'ApplicationStart',
      errorCode: 'ScriptFailed',
      logTail: '[stderr]Error: listen EADDRINUSE :::8080'
    })
    const result = await runWith(bed, { inputs: { 's3-key-prefix': 'failed-hook/' } })
    expect(result.code).toBe(1)
    expect(result.outputs).toMatchObject({
      result: 'failed',
      'failed-script': 'scripts/start_server.sh',
      'log-tail': '[stderr]Error: listen EADDRINUSE :::8080'
    })
    const failed = JSON.parse(result.outputs['failed-instances']!) as Array<Record<string, unknown>>
    expect(failed).toEqual([
      {
        instance: result.outputs['failed-instance'],
        group: 'production',
        'deployment-id': result.outputs['deployment-id'],
        event: 'ApplicationStart',
        'error-code': 'ScriptFailed',
        script: 'scripts/start_server.sh'
      }
    ])
  })
})
