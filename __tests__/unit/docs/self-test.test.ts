// testbed/harness/serve.mjs, which the self-test workflow starts before running the action with
// `uses: ./`: it must come up, write what points the AWS SDK at it into the GITHUB_ENV file, serve
// the sample app's application, group and bucket, and stop on SIGTERM. The workflow (its schema is
// checked by yaml-blocks.test.ts) may only read TESTBED_* variables that serve.mjs writes.
import { spawn, type ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { CodeDeployClient, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy'
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3'
import { load } from 'js-yaml'

const { parseOutputFile } = await import('../../../testbed/harness/run-action.mjs')

const SERVE = path.join('testbed', 'harness', 'serve.mjs')
let dir: string
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serve-test-'))))
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }))

/** Resolves with everything printed once `marker` has been printed (or the process ended). */
function printed(child: ChildProcess, marker: string): Promise<string> {
  let text = ''
  return new Promise(resolve => {
    child.stdout?.on('data', chunk => {
      text += chunk
      if (text.includes(marker)) resolve(text)
    })
    child.on('close', () => resolve(text))
  })
}

const exited = (child: ChildProcess): Promise<number | null> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise(resolve => child.on('exit', code => resolve(code)))

/** Asks the servers, through the real SDK clients and only what the env file says, whether the sample app's resources exist. */
async function resourcesAt(env: Record<string, string>): Promise<{ group: string | undefined; bucket: number | undefined }> {
  const config = {
    region: env['AWS_REGION'] ?? '',
    credentials: { accessKeyId: env['AWS_ACCESS_KEY_ID'] ?? '', secretAccessKey: env['AWS_SECRET_ACCESS_KEY'] ?? '' }
  }
  const codedeploy = new CodeDeployClient({ ...config, endpoint: env['AWS_ENDPOINT_URL_CODEDEPLOY'] ?? '' })
  const s3 = new S3Client({ ...config, endpoint: env['AWS_ENDPOINT_URL_S3'] ?? '', forcePathStyle: true })
  try {
    const group = await codedeploy.send(
      new GetDeploymentGroupCommand({
        applicationName: env['TESTBED_APPLICATION'] ?? '',
        deploymentGroupName: env['TESTBED_DEPLOYMENT_GROUP'] ?? ''
      })
    )
    const bucket = await s3.send(new HeadBucketCommand({ Bucket: env['TESTBED_BUCKET'] ?? '' }))
    return { group: group.deploymentGroupInfo?.deploymentGroupName, bucket: bucket.$metadata.httpStatusCode }
  } finally {
    codedeploy.destroy()
    s3.destroy()
  }
}

test('serve.mjs writes the endpoints, credentials and names to the env file, serves them, and stops on SIGTERM', async () => {
  const envFile = path.join(dir, 'github-env')
  fs.writeFileSync(envFile, 'EARLIER=kept\n') // the runner's file may already hold lines: append
  const child = spawn(process.execPath, [SERVE, '--github-env', envFile, '--step-ms', '50'], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    expect(await printed(child, 'ready')).toContain('ready: serving until interrupted')
    const env = parseOutputFile(fs.readFileSync(envFile, 'utf8'))
    expect(env).toMatchObject({
      EARLIER: 'kept',
      AWS_ENDPOINT_URL_S3: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_ENDPOINT_URL_CODEDEPLOY: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_ACCESS_KEY_ID: expect.any(String),
      AWS_SECRET_ACCESS_KEY: expect.any(String),
      AWS_REGION: expect.any(String),
      TESTBED_APPLICATION: 'sample-app',
      TESTBED_DEPLOYMENT_GROUP: 'production',
      TESTBED_INSTANCES: '3',
      TESTBED_PID: String(child.pid)
    })
    expect(await resourcesAt(env)).toEqual({ group: 'production', bucket: 200 })
  } finally {
    child.kill('SIGTERM')
  }
  expect(await exited(child)).toBe(0)
})

test('--detach returns once serving and leaves the servers up until their pid is killed', async () => {
  const envFile = path.join(dir, 'github-env')
  const child = spawn(process.execPath, [SERVE, '--detach', '--github-env', envFile, '--log', path.join(dir, 'log')], {
    stdio: ['ignore', 'pipe', 'ignore']
  })
  const [out, code] = await Promise.all([printed(child, '\u0000'), exited(child)])
  expect(code).toBe(0)
  const env = parseOutputFile(fs.readFileSync(envFile, 'utf8'))
  const pid = Number(env['TESTBED_PID'])
  expect(out).toContain(`stop: kill ${pid}`)
  try {
    expect(await resourcesAt(env)).toEqual({ group: 'production', bucket: 200 })
  } finally {
    process.kill(pid, 'SIGTERM')
  }
  expect(fs.readFileSync(path.join(dir, 'log'), 'utf8')).toContain('GetDeploymentGroup')
})

test('the self-test workflow runs the action itself and reads only TESTBED_* variables serve.mjs writes', () => {
  const text = fs.readFileSync('.github/workflows/self-test.yml', 'utf8')
  const workflow = load(text) as { jobs: Record<string, { steps: { uses?: string; run?: string }[] }> }
  const steps = Object.values(workflow.jobs).flatMap(job => job.steps)
  expect(steps.filter(step => step.uses === './').length).toBeGreaterThanOrEqual(1)
  expect(steps.some(step => step.run?.includes('testbed/harness/serve.mjs --detach'))).toBe(true)
  const serve = fs.readFileSync(SERVE, 'utf8')
  const written = new Set([...serve.matchAll(/\b(TESTBED_[A-Z_]+):/g)].map(m => m[1]))
  const read = new Set([...text.matchAll(/(?:env\.|\$)(TESTBED_[A-Z_]+)/g)].map(m => m[1]))
  expect(read.size).toBeGreaterThanOrEqual(4)
  expect([...read].filter(name => !written.has(name))).toEqual([])
})
