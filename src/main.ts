import * as core from '@actions/core'
import { systemClock } from './core/clock.js'
import type { AwsClients } from './core/deps.js'
import { describeError } from './core/errors.js'
import { createClients, destroyClients } from './aws/clients.js'
import { readSettings } from './inputs/read-settings.js'
import { removeBundle } from './bundle/write-bundle.js'
import { stopDeployment } from './deploy/stop-deployment.js'
import { failureMessage } from './report/diagnosis.js'
import { summaryLine } from './report/outputs.js'
import { runSucceeded, type RunReport } from './report/run-report.js'
import { writeReport } from './report/write-report.js'
import { runPipeline, type PipelineContext, type PipelineLog } from './pipeline.js'

const log: PipelineLog = {
  info: line => core.info(line),
  warning: line => core.warning(line),
  error: (message, title) => core.error(message, { title }),
  group: (name, fn) => core.group(name, fn),
  block: (title, lines) => {
    core.startGroup(title)
    for (const line of lines) core.info(line)
    core.endGroup()
  },
  deploymentCreated: group => {
    // Set at once, so a later step or a cancelled run still knows which deployment it started.
    core.setOutput('deployment-id', group.deploymentId ?? '')
    core.setOutput('deployment-url', group.url ?? '')
  }
}

/** The action: runs the pipeline, then always reports, then fails the step once if it must. */
export async function run(): Promise<void> {
  const report: RunReport = {
    settings: undefined,
    bundle: undefined,
    revision: undefined,
    groups: [],
    error: undefined,
    cancelled: false,
    startedAt: Date.now(),
    endedAt: Date.now()
  }
  const cancel = new AbortController()
  const onSignal = (signal: NodeJS.Signals): void => {
    if (cancel.signal.aborted) return
    core.info(`Received ${signal}: the workflow is being cancelled.`)
    report.cancelled = true
    cancel.abort()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  // A rejection nobody awaits, or an exception thrown in a callback, would end the process with a
  // raw stack and no report: until the report is written it ends the pipeline instead; after, it
  // fails the step (once).
  let failed = false
  const fail = (message: string): void => {
    if (failed) return core.info(message)
    failed = true
    core.setFailed(message)
  }
  let reporting = false
  let stray: (error: unknown) => void = () => undefined
  const strayError = new Promise<never>((_, reject) => (stray = reject)).catch((error: unknown) => {
    // Whatever still runs stops (its own failures are then expected and dropped).
    cancel.abort()
    throw error
  })
  strayError.catch(() => undefined)
  guardProcess(error => (reporting ? fail(`codedeploy-action failed: ${describeError(error)}`) : stray(error)))
  let clients: AwsClients | undefined
  let ctx: PipelineContext | undefined
  try {
    const settings = readSettings(name => core.getInput(name), process.env)
    report.settings = settings
    if (settings.githubToken) core.setSecret(settings.githubToken)
    clients = createClients(settings.region, process.env)
    ctx = { settings, clients, clock: systemClock, signal: cancel.signal, log, tempDir: process.env['RUNNER_TEMP'] || undefined, report }
    const pipeline = runPipeline(ctx)
    pipeline.catch(() => undefined)
    await Promise.race([pipeline, strayError])
  } catch (error) {
    report.error = error
  }
  reporting = true
  try {
    // watch only follows a deployment started elsewhere: cancelling the watcher leaves it running.
    if (report.cancelled && clients && report.command !== 'watch') await stopOnCancel(report, clients)
    report.endedAt = Date.now()
    await writeReport(report)
    const succeeded = runSucceeded(report)
    if (ctx?.github && (report.settings?.wait || !succeeded)) {
      const state = succeeded ? 'success' : report.cancelled ? 'error' : 'failure'
      await ctx.github.setStatus(state, summaryLine(report), report.groups.find(g => g.url)?.url)
    }
    if (!succeeded) fail(failureMessage(report))
  } catch (error) {
    fail(`codedeploy-action failed while reporting: ${String(error)}`)
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
    if (report.bundle) await removeBundle(report.bundle)
    if (clients) destroyClients(clients)
  }
}

async function stopOnCancel(report: RunReport, clients: AwsClients): Promise<void> {
  const running = report.groups.filter(g => g.deploymentId && !g.result?.final)
  if (running.length === 0) return
  if (!report.settings?.stopOnCancel) {
    for (const g of running) core.warning(`Deployment ${g.deploymentId} keeps running (stop-on-cancel: false): ${g.url}`)
    return
  }
  await Promise.all(
    running.map(async g => {
      const { stopped, message } = await stopDeployment(g.deploymentId!, { clients })
      g.stopRequested = stopped
      if (stopped) core.warning(message)
      else core.error(message, { title: `Deployment ${g.deploymentId} may still be running` })
    })
  )
}

let onStray: ((error: unknown) => void) | undefined

/** Sends unhandled rejections and uncaught exceptions to the current run; installed once per process. */
function guardProcess(handler: (error: unknown) => void): void {
  if (!onStray) {
    const route = (error: unknown): void => onStray?.(error)
    process.on('unhandledRejection', route)
    process.on('uncaughtException', route)
  }
  onStray = handler
}
