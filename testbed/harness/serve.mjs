// @ts-check
// Starts the local S3 and the CodeDeploy simulator with the sample app's application, deployment
// group and bucket, and keeps them up, so that something outside this process can deploy to
// them: the self-test workflow (.github/workflows/self-test.yml) runs the action with `uses: ./`
// on a real runner, the way users run it.
//
//   node testbed/harness/serve.mjs             serve in the foreground until Ctrl-C / SIGTERM
//   node testbed/harness/serve.mjs --detach    return once serving; the servers stay up in the background
//
// Options: --github-env <path> (default $GITHUB_ENV) receives the variables that point the AWS SDK at
// the servers (NAME=value lines, appended, as the runner reads them after the step);
// --log <path> (with --detach; default $RUNNER_TEMP or the temp dir, /codedeploy-testbed.log);
// --step-ms <n> (duration of one lifecycle event, default 200); --instances <n> (default 3).
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { startTestbed } from '../index.mjs'

export const APPLICATION = 'sample-app'
export const DEPLOYMENT_GROUP = 'production'
export const BUCKET = 'codedeploy-bundles'

/** @param {string} name */
function option(name) {
  const at = process.argv.indexOf(name)
  return at >= 0 ? process.argv[at + 1] : undefined
}

/** @param {string} name @param {number} fallback */
function positiveInt(name, fallback) {
  const text = option(name)
  if (text === undefined) return fallback
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} takes a positive whole number, not '${text}'`)
  return value
}

/** Starts the servers, creates the sample app's resources, writes the env file; resolves to what it wrote. */
async function serve() {
  const tb = await startTestbed({ stepMs: positiveInt('--step-ms', 200), log: true })
  await tb.s3.createBucket(BUCKET)
  tb.codedeploy.addApplication({ name: APPLICATION })
  const group = tb.codedeploy.addDeploymentGroup({
    applicationName: APPLICATION,
    name: DEPLOYMENT_GROUP,
    instances: positiveInt('--instances', 3)
  })

  /** @type {Record<string, string>} */
  const env = {
    ...tb.env,
    // The names the workflow passes to the action, so they are written in one place.
    TESTBED_APPLICATION: APPLICATION,
    TESTBED_DEPLOYMENT_GROUP: DEPLOYMENT_GROUP,
    TESTBED_BUCKET: BUCKET,
    TESTBED_INSTANCES: String(group.instances.length),
    TESTBED_PID: String(process.pid)
  }
  const envFile = option('--github-env') ?? process.env.GITHUB_ENV
  if (envFile)
    fs.appendFileSync(
      envFile,
      Object.entries(env)
        .map(([name, value]) => `${name}=${value}\n`)
        .join('')
    )

  const stop = () => tb.stop().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  return { env, envFile }
}

/** --detach: run this script again in the background and return once it is serving. */
async function detach() {
  const log = option('--log') ?? path.join(process.env.RUNNER_TEMP ?? os.tmpdir(), 'codedeploy-testbed.log')
  const out = fs.openSync(log, 'a')
  const args = process.argv.slice(2).filter(arg => arg !== '--detach')
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], {
    detached: true,
    stdio: ['ignore', out, out, 'ipc']
  })
  /** @type {{ env: Record<string, string>, envFile?: string }} */
  const ready = await new Promise((resolve, reject) => {
    child.once('message', message => resolve(/** @type {any} */ (message)))
    child.once('exit', code => reject(new Error(`the test bed exited (code ${code}) before it was serving; see ${log}`)))
  })
  child.disconnect()
  child.unref()
  report(ready.env, ready.envFile)
  process.stdout.write(`log: ${log}\nstop: kill ${child.pid}\n`)
}

/** @param {Record<string, string>} env @param {string | undefined} envFile */
function report(env, envFile) {
  process.stdout.write(
    `S3 at ${env.AWS_ENDPOINT_URL_S3}, CodeDeploy at ${env.AWS_ENDPOINT_URL_CODEDEPLOY}\n` +
      `application ${APPLICATION}, deployment group ${DEPLOYMENT_GROUP} (${env.TESTBED_INSTANCES} instances), bucket ${BUCKET}\n` +
      (envFile ? `environment written to ${envFile}\n` : 'no --github-env and no GITHUB_ENV: environment not written\n')
  )
}

if (process.argv.includes('--detach')) {
  await detach()
} else {
  const { env, envFile } = await serve()
  if (process.send) process.send({ env, envFile })
  else {
    report(env, envFile)
    process.stdout.write('ready: serving until interrupted\n')
  }
}
