/**
 * What every integration test needs: the local S3 + CodeDeploy test bed (testbed/index.mjs), a
 * workspace as actions/checkout leaves it, and the built action (dist/index.js) run against them
 * the way the GitHub runner runs it (testbed/harness/run-action.mjs).
 *
 *   const bed = useTestbed({ sha: SHA, instances: 2 })
 *   const result = await runWith(bed, { inputs: { wait: 'false' } })
 *   expect(errorsOf(result)).toEqual([])
 */
import type { ChildProcess } from 'node:child_process'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const { startTestbed } = await import('../../testbed/index.mjs')
const { runAction } = await import('../../testbed/harness/run-action.mjs')

export type Testbed = Awaited<ReturnType<typeof startTestbed>>
export type RunResult = Awaited<ReturnType<typeof runAction>>
export type S3Record = Testbed['s3']['requests'][number]
export type CdRecord = Testbed['codedeploy']['requests'][number]
type ApplicationSpec = Parameters<Testbed['codedeploy']['addApplication']>[0]
type GroupSpec = Parameters<Testbed['codedeploy']['addDeploymentGroup']>[0]
/** Action inputs by their action.yml names; `undefined` leaves an input out (its action.yml default applies). */
export type Inputs = Record<string, string | undefined>
export type OnLine = (line: string, child: ChildProcess) => void

export const BUCKET = 'bundles'

/** The inputs that deploy the sample app's `app/` directory to sample-app/production. */
export const SAMPLE_APP_INPUTS: Inputs = {
  'application-name': 'sample-app',
  'deployment-group': 'production',
  's3-bucket': BUCKET,
  's3-key-prefix': 'app/',
  'source-dir': 'app'
}

const SAMPLE_APP = path.resolve('examples', 'sample-app')

export interface Workspace {
  /** GITHUB_WORKSPACE */
  root: string
  /** `<root>/app`: the sample app (for an empty workspace, not created) */
  app: string
  cleanup: () => void
}

/**
 * A workspace as actions/checkout leaves it: the sample app under `app/`, a `.git/` holding a
 * token, and a `node_modules/` that must not be bundled. `empty`: a bare directory instead.
 */
export function makeWorkspace(kind: 'sample-app' | 'empty' = 'sample-app'): Workspace {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), kind === 'empty' ? 'cda-bluegreen-' : 'cda-ws-'))
  const app = path.join(root, 'app')
  const cleanup = (): void => fs.rmSync(root, { recursive: true, force: true })
  if (kind === 'empty') return { root, app, cleanup }
  fs.cpSync(SAMPLE_APP, app, { recursive: true })
  fs.mkdirSync(path.join(app, '.git'))
  fs.writeFileSync(path.join(app, '.git', 'config'), '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu\n')
  fs.mkdirSync(path.join(app, 'node_modules', 'left-pad'), { recursive: true })
  fs.writeFileSync(path.join(app, 'node_modules', 'left-pad', 'index.js'), 'module.exports = s => s\n')
  return { root, app, cleanup }
}

/** How the test bed is started and filled. */
export interface BedSetup {
  /** Duration of one lifecycle event that runs something (ms). Default 20. */
  stepMs?: number
  /** ECS / Lambda traffic shifting: real ms per configured minute (the testbed's default when unset). */
  trafficMinuteMs?: number
  /** The bucket created for bundles; null: none. Default BUCKET. */
  bucket?: string | null
  /** Default: sample-app (Server). */
  applications?: ApplicationSpec[]
  /** Default: sample-app/production with `instances` instances. */
  groups?: GroupSpec[]
  /** For the default group. Default 3. */
  instances?: number
}

export interface BedOptions extends BedSetup {
  /** 'test' (default): a fresh test bed and workspace for each test. 'file': one test bed for every test of the file (or describe block); still a fresh workspace per test. */
  per?: 'test' | 'file'
  /** false: each test starts the test bed itself with `bed.start(...)` (for a set-up that differs per test). Default true. */
  autoStart?: boolean
  /** Default: the sample app, as actions/checkout leaves it. */
  workspace?: 'sample-app' | 'empty'
  /** GITHUB_SHA of every run (runWith can override it). */
  sha?: string
  /** The inputs of every run, under what runWith is given. Default SAMPLE_APP_INPUTS. */
  inputs?: Inputs
  /** The runner's kill timer for every run (run-action.mjs's default when unset). */
  timeoutMs?: number
}

/** What a test reaches the test bed through. */
export interface Bed {
  /** The running test bed (throws when it is not started). */
  readonly tb: Testbed
  /** This test's workspace. */
  readonly ws: Workspace
  readonly options: BedOptions
  /** Starts the test bed with `setup` over the useTestbed() options, stopping the one running (if any) first. */
  start(setup?: BedSetup): Promise<Testbed>
  /** The S3 requests for `operation`, in order. */
  s3Calls(operation: string): S3Record[]
  /** The CodeDeploy requests for `operation`, in order. */
  cdCalls(operation: string): CdRecord[]
}

/**
 * Registers the hooks that start and stop the local S3 + CodeDeploy test bed (beforeAll/afterAll
 * with `per: 'file'`, else beforeEach/afterEach) and make and remove a workspace for each test.
 */
export function useTestbed(options: BedOptions = {}): Bed {
  let tb: Testbed | undefined
  let ws: Workspace | undefined

  async function stop(): Promise<void> {
    const running = tb
    tb = undefined
    await running?.stop()
  }

  const bed: Bed = {
    get tb(): Testbed {
      if (!tb) throw new Error('the test bed is not started: call bed.start() first (useTestbed({ autoStart: false }))')
      return tb
    },
    get ws(): Workspace {
      if (!ws) throw new Error('no workspace outside a test')
      return ws
    },
    options,
    async start(setup: BedSetup = {}): Promise<Testbed> {
      await stop()
      const o = { ...options, ...setup }
      const started = await startTestbed({
        stepMs: o.stepMs ?? 20,
        ...(o.trafficMinuteMs === undefined ? {} : { trafficMinuteMs: o.trafficMinuteMs })
      })
      tb = started
      const bucket = o.bucket === undefined ? BUCKET : o.bucket
      if (bucket !== null) await started.s3.createBucket(bucket)
      for (const application of o.applications ?? [{ name: 'sample-app' }]) started.codedeploy.addApplication(application)
      for (const group of o.groups ?? [{ applicationName: 'sample-app', name: 'production', instances: o.instances ?? 3 }])
        started.codedeploy.addDeploymentGroup(group)
      return started
    },
    s3Calls: operation => bed.tb.s3.requests.filter((r: S3Record) => r.operation === operation),
    cdCalls: operation => bed.tb.codedeploy.requests.filter((r: CdRecord) => r.operation === operation)
  }

  const perFile = options.per === 'file'
  const autoStart = options.autoStart ?? true
  if (autoStart) (perFile ? beforeAll : beforeEach)(async () => void (await bed.start()))
  beforeEach(() => {
    ws = makeWorkspace(options.workspace)
  })
  afterEach(async () => {
    if (!perFile) await stop()
    ws?.cleanup()
    ws = undefined
  })
  if (perFile) afterAll(stop)
  return bed
}

export interface RunWith {
  /** Over the useTestbed() inputs; `undefined` leaves one out. */
  inputs?: Inputs
  /** Over the test bed's env (its endpoints and credentials). */
  env?: Record<string, string>
  /** GITHUB_SHA; default the useTestbed() sha. */
  sha?: string
  /** Default: this test's workspace. */
  workspace?: Workspace
  /** Every stdout line, as it comes. */
  onLine?: OnLine
}

/** Runs the built action against the test bed, as the runner runs it. */
export function runWith(bed: Bed, options: RunWith = {}): Promise<RunResult> {
  const inputs: Record<string, string> = {}
  for (const [name, value] of Object.entries({ ...(bed.options.inputs ?? SAMPLE_APP_INPUTS), ...options.inputs })) {
    if (value !== undefined) inputs[name] = value
  }
  const sha = options.sha ?? bed.options.sha
  const timeoutMs = bed.options.timeoutMs
  return runAction({
    workspace: (options.workspace ?? bed.ws).root,
    env: { ...bed.tb.env, ...options.env },
    inputs,
    ...(sha === undefined ? {} : { sha }),
    ...(options.onLine ? { onLine: options.onLine } : {}),
    ...(timeoutMs === undefined ? {} : { timeoutMs })
  })
}

/**
 * The `::error` commands of a run. 'plain' (default): only those without properties (`::error::…`),
 * the step's failure and errors not tied to a place; 'all': annotations (`::error title=…::`) too.
 */
export function errorsOf(result: RunResult, which: 'plain' | 'all' = 'plain'): string[] {
  return result.commands.filter((c: string) => c.startsWith(which === 'plain' ? '::error::' : '::error'))
}
