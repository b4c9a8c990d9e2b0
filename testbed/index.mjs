// @ts-check
// Local AWS for tests and the demo: S3 (s3rver) and a CodeDeploy simulator, on 127.0.0.1.
//
//   const tb = await startTestbed({ stepMs: 50 })
//   spawn('node', ['dist/index.js'], { env: { ...process.env, ...tb.env, ... } })
//   await tb.stop()
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { startS3, S3_CREDENTIALS, REGION } from './s3/server.mjs'
import { startCodeDeploy } from './codedeploy/index.mjs'

/**
 * @typedef {import('./s3/server.mjs').LocalS3} LocalS3
 * @typedef {import('./codedeploy/index.mjs').LocalCodeDeploy} LocalCodeDeploy
 * @typedef {import('./codedeploy/state.mjs').DeploymentRecord} DeploymentRecord
 *
 * @typedef {object} TestbedOptions
 * @property {number} [stepMs] duration of one lifecycle event that runs something (default 200)
 * @property {number} [trafficMinuteMs] ECS / Lambda traffic shifting: real ms per configured minute (default 200)
 * @property {boolean | ((line: string) => void)} [log] true: log to stderr; a function: receive each line; default silent
 *
 * @typedef {object} Testbed
 * @property {Record<string, string>} env variables that point the AWS SDK (and so the action) at the testbed
 * @property {LocalS3} s3
 * @property {LocalCodeDeploy} codedeploy
 * @property {() => Promise<void>} stop stops both servers and removes the temp directories
 */

/**
 * @param {TestbedOptions} [options]
 * @returns {Promise<Testbed>}
 */
export async function startTestbed(options = {}) {
  const stepMs = options.stepMs ?? 200
  const log =
    typeof options.log === 'function'
      ? options.log
      : options.log
        ? (/** @type {string} */ line) => process.stderr.write(`[testbed] ${line}\n`)
        : undefined
  // The SDK warns once per process on Node 20; that is noise here, and the env below disables it for the action.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

  const root = await fsp.mkdtemp(path.join(os.tmpdir(), 'codedeploy-testbed-'))
  const s3Dir = path.join(root, 's3')
  const agentDir = path.join(root, 'agent')
  await fsp.mkdir(s3Dir)
  await fsp.mkdir(agentDir)
  /** @type {LocalS3 | undefined} */
  let s3
  try {
    s3 = await startS3({ directory: s3Dir, log })
    const codedeploy = await startCodeDeploy({ stepMs, trafficMinuteMs: options.trafficMinuteMs, s3: s3.client, tmpDir: agentDir, log })
    const started = s3
    const env = {
      AWS_ENDPOINT_URL_S3: started.endpoint,
      AWS_ENDPOINT_URL_CODEDEPLOY: codedeploy.endpoint,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_EC2_METADATA_DISABLED: 'true'
    }
    let stopped = false
    return {
      env,
      s3: started,
      codedeploy,
      async stop() {
        if (stopped) return
        stopped = true
        await codedeploy.stop()
        await started.stop()
        await fsp.rm(root, { recursive: true, force: true })
      }
    }
  } catch (err) {
    await s3?.stop().catch(() => {})
    await fsp.rm(root, { recursive: true, force: true })
    throw err
  }
}
