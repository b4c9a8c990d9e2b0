// @ts-check
// Runs the built action (dist/index.js) exactly as the GitHub runner does: inputs as INPUT_*
// variables (action.yml defaults filled in), GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the
// workflow's GITHUB_* context. Shared by the integration tests and `npm run demo`.
import { spawn } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { load } from 'js-yaml'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** head_commit.timestamp of the push event every run gets (a committer's zone, as GitHub sends it). */
export const PUSHED_AT = '2024-03-10T05:11:07+05:30'

/**
 * @typedef {object} RunOptions
 * @property {Record<string, string>} inputs action inputs by their action.yml names
 * @property {Record<string, string>} [env] extra environment (the testbed's endpoints, ...)
 * @property {string} workspace GITHUB_WORKSPACE
 * @property {string} [sha] GITHUB_SHA
 * @property {(line: string, child: import('node:child_process').ChildProcess) => void} [onLine] every stdout line, as it comes
 * @property {number} [timeoutMs]
 * @property {string} [node] the node binary that runs dist/index.js (default: this one); bench/e2e.bench.mjs gives action.yml's node24
 * @property {string[]} [wrapper] a command that runs node in turn, e.g. ['/usr/bin/time', '-f', '%M'] for the peak RSS (bench/e2e.bench.mjs)
 *
 * @typedef {object} RunResult
 * @property {number | null} code
 * @property {string | null} signal
 * @property {string} stdout
 * @property {string} stderr
 * @property {Record<string, string>} outputs
 * @property {string} summary
 * @property {string[]} commands workflow commands seen on stdout (::error ..., ::warning ...)
 */

/** @returns {Record<string, string>} action.yml's input defaults, as the runner passes them */
function inputDefaults() {
  const action = /** @type {{ inputs: Record<string, { default?: string }> }} */ (
    load(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
  )
  /** @type {Record<string, string>} */
  const defaults = {}
  for (const [name, spec] of Object.entries(action.inputs)) {
    // ${{ github.token }} is filled in by the runner; a fake token stands in for it.
    if (spec.default !== undefined) defaults[name] = String(spec.default).includes('${{') ? 'ghs_fake_workflow_token' : String(spec.default)
  }
  return defaults
}

/** @param {string} text */
export function parseOutputFile(text) {
  /** @type {Record<string, string>} */
  const outputs = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const match = /^([^=<]+)<<(.+)$/.exec(lines[i] ?? '')
    if (match) {
      const [, name, delimiter] = match
      const value = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i])
      outputs[/** @type {string} */ (name)] = value.join('\n')
    } else if (lines[i]?.includes('=')) {
      const line = /** @type {string} */ (lines[i])
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return outputs
}

/** @param {RunOptions} options @returns {Promise<RunResult>} */
export async function runAction(options) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codedeploy-action-run-'))
  const files = {
    output: path.join(dir, 'output'),
    summary: path.join(dir, 'summary.md'),
    state: path.join(dir, 'state'),
    env: path.join(dir, 'env')
  }
  for (const file of Object.values(files)) fs.writeFileSync(file, '')
  const runnerTemp = path.join(dir, 'runner-temp')
  fs.mkdirSync(runnerTemp)
  const sha = options.sha ?? '0123456789abcdef0123456789abcdef01234567'
  // The runner always hands the step its event: here a push of GITHUB_SHA, whose head commit
  // dates the bundle when the workspace is not a git checkout (as the test workspaces are not).
  const eventPath = path.join(dir, 'event.json')
  fs.writeFileSync(eventPath, JSON.stringify({ ref: 'refs/heads/main', after: sha, head_commit: { id: sha, timestamp: PUSHED_AT } }))

  /** @type {Record<string, string>} */
  const env = {}
  // Hermetic: nothing from the caller's AWS or GitHub context leaks in.
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(AWS_|GITHUB_|INPUT_|RUNNER_|ACTIONS_)/.test(key)) env[key] = value
  }
  Object.assign(
    env,
    {
      GITHUB_ACTIONS: 'true',
      CI: 'true',
      GITHUB_WORKSPACE: options.workspace,
      GITHUB_SHA: sha,
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REPOSITORY: 'octo-org/sample-app',
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: '4242',
      GITHUB_OUTPUT: files.output,
      GITHUB_STEP_SUMMARY: files.summary,
      GITHUB_STATE: files.state,
      GITHUB_ENV: files.env,
      RUNNER_TEMP: runnerTemp
    },
    options.env ?? {}
  )
  for (const [name, value] of Object.entries({ ...inputDefaults(), ...options.inputs })) {
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }

  const [command = process.execPath, ...args] = [
    ...(options.wrapper ?? []),
    options.node ?? process.execPath,
    path.join(ROOT, 'dist', 'index.js')
  ]
  const child = spawn(command, args, {
    cwd: options.workspace,
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  let partial = ''
  child.stdout.on('data', chunk => {
    stdout += chunk
    partial += chunk
    const lines = partial.split('\n')
    partial = lines.pop() ?? ''
    for (const line of lines) options.onLine?.(line, child)
  })
  child.stderr.on('data', chunk => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const { code, signal } = await new Promise(resolve => child.on('close', (code, signal) => resolve({ code, signal })))
  clearTimeout(timer)
  if (partial) options.onLine?.(partial, child)

  const result = {
    code,
    signal,
    stdout,
    stderr,
    outputs: parseOutputFile(fs.readFileSync(files.output, 'utf8')),
    summary: fs.readFileSync(files.summary, 'utf8'),
    commands: stdout.split('\n').filter(line => line.startsWith('::'))
  }
  fs.rmSync(dir, { recursive: true, force: true })
  return result
}
