// @ts-check
// npm run demo: deploys examples/sample-app with the built action (dist/index.js), run the way
// the GitHub runner runs it, against the local S3 (s3rver) and the CodeDeploy simulator.
//   npm run demo               a passing deployment to 3 instances
//   npm run demo -- --fail     ApplicationStart fails on the second instance, with its log tail
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import AdmZip from 'adm-zip'
import { startTestbed } from '../index.mjs'
import { runAction } from './run-action.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const fail = process.argv.includes('--fail')
const SHA = 'c0ffee0000000000000000000000000000c0ffee'

const say = (/** @type {string} */ text) => process.stdout.write(`\n\x1b[1m== ${text}\x1b[0m\n`)

// A workspace as actions/checkout leaves it: the app, a .git/ holding a token, and node_modules/.
const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'codedeploy-demo-'))
fs.cpSync(path.join(ROOT, 'examples', 'sample-app'), path.join(workspace, 'app'), { recursive: true })
fs.mkdirSync(path.join(workspace, 'app', '.git'), { recursive: true })
fs.writeFileSync(path.join(workspace, 'app', '.git', 'config'), '[http]\n\textraheader = AUTHORIZATION: basic ***\n')
fs.mkdirSync(path.join(workspace, 'app', 'node_modules', 'left-pad'), { recursive: true })
fs.writeFileSync(path.join(workspace, 'app', 'node_modules', 'left-pad', 'index.js'), 'module.exports = s => s\n')

const tb = await startTestbed({ stepMs: 250 })
let exitCode
try {
  await tb.s3.createBucket('demo-bundles')
  tb.codedeploy.addApplication({ name: 'sample-app' })
  tb.codedeploy.addDeploymentGroup({ applicationName: 'sample-app', name: 'production', instances: 3 })
  if (fail) {
    tb.codedeploy.failHook({
      event: 'ApplicationStart',
      instanceId: 'i-0000000000000002',
      message: 'Script at specified location: scripts/start_server.sh run as user root failed with exit code 1',
      logTail:
        '[stdout]Starting sample-app...\n[stderr]Error: listen EADDRINUSE: address already in use :::8080\n[stderr]sample-app.service: Failed with result exit-code.'
    })
  }
  say(`Local AWS: S3 at ${tb.s3.endpoint}, CodeDeploy at ${tb.codedeploy.endpoint}`)
  say('Running dist/index.js as the runner would')
  const result = await runAction({
    workspace,
    sha: SHA,
    env: tb.env,
    inputs: {
      'application-name': 'sample-app',
      'deployment-group': 'production',
      's3-bucket': 'demo-bundles',
      's3-key-prefix': 'sample-app/',
      'source-dir': 'app'
    },
    onLine: line => process.stdout.write(`  ${line}\n`)
  })

  say(`Outputs (exit code ${result.code})`)
  for (const [name, value] of Object.entries(result.outputs)) process.stdout.write(`  ${name.padEnd(24)} ${value}\n`)

  say('Job summary (GITHUB_STEP_SUMMARY)')
  process.stdout.write(result.summary.replace(/^/gm, '  '))

  const key = `sample-app/${SHA}.zip`
  if ((await tb.s3.listKeys('demo-bundles')).includes(key)) {
    say(`Bundle s3://demo-bundles/${key}, as stored`)
    const zip = new AdmZip((await tb.s3.getObject('demo-bundles', key)).body)
    for (const entry of zip.getEntries()) {
      process.stdout.write(`  ${((entry.header.attr >>> 16) & 0o177777).toString(8).padStart(6, '0')}  ${entry.entryName}\n`)
    }
  }
  const succeeded = result.code === 0 && result.outputs['status'] === 'Succeeded'
  say(succeeded ? 'Deployment succeeded' : `Deployment did not succeed (status: ${result.outputs['status'] || 'none'})`)
  exitCode = succeeded ? 0 : 1
} finally {
  await tb.stop()
  fs.rmSync(workspace, { recursive: true, force: true })
}
process.exit(exitCode)
