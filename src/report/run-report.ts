import type { ComputePlatform } from '../core/domain.js'
import type { Command } from '../inputs/command.js'
import type { Settings } from '../inputs/settings.js'
import type { CheckedAppSpec } from '../appspec/ecs-lambda/resources.js'
import type { Bundle } from '../bundle/write-bundle.js'
import type { UploadedRevision } from '../upload/location.js'
import type { RegisteredRevision } from '../deploy/register-revision.js'
import type { DeploymentResult } from '../watch/deployment-result.js'
import { inTerminationWait, isReady } from '../watch/end-notes.js'

/** One deployment group's part of the run. */
export interface GroupOutcome {
  group: string
  deploymentId: string | undefined
  url: string | undefined
  result: DeploymentResult | undefined
  /** StopDeployment was called for it because the workflow was cancelled. */
  stopRequested: boolean
}

/** ECS and Lambda: the AppSpec deployed as content, as checked. */
export interface DeployedAppSpec {
  /** As given in the `appspec` input. */
  path: string
  /** The exact content sent, placeholders filled. */
  content: string
  sha256: string
  checked: CheckedAppSpec
}

/** Everything the report needs, filled in stage by stage; true also when a stage failed. */
export interface RunReport {
  settings: Settings | undefined
  bundle: Bundle | undefined
  revision: UploadedRevision | undefined
  /** ECS and Lambda: what is deployed instead of a bundle. */
  appspec?: DeployedAppSpec | undefined
  /** The application's, once CodeDeploy was asked. */
  computePlatform?: ComputePlatform | undefined
  groups: GroupOutcome[]
  error: unknown
  cancelled: boolean
  startedAt: number
  endedAt: number
  /** The GitHub environment's deployments page, when a GitHub deployment was recorded. */
  githubDeploymentUrl?: string | undefined
  /** The command run (settings.command once the inputs are read); undefined when they could not be. */
  command?: Command | undefined
  /** check: what was found and what deploy would do, as rows for the log and the summary. */
  check?: Array<[string, string]> | undefined
  /** register: the revision registered with the application. */
  registered?: RegisteredRevision | undefined
}

export function groupSucceeded(g: GroupOutcome, wait: boolean): boolean {
  if (!g.deploymentId) return false
  if (!wait) return g.result === undefined || !['Failed', 'Stopped'].includes(g.result.status)
  const r = g.result
  return r !== undefined && ((r.final && r.status === 'Succeeded') || isReady(r) || inTerminationWait(r))
}

export function runSucceeded(report: RunReport): boolean {
  const s = report.settings
  if (report.error !== undefined || report.cancelled || !s) return false
  // check and register create no deployment: getting through without an error is their success.
  if (s.command === 'check' || s.command === 'register') return true
  if (s.command === 'stop') return report.groups.length === 1 && report.groups.every(g => g.result?.final && g.result.status === 'Stopped')
  if (s.command === 'watch' || s.command === 'continue')
    return report.groups.length === 1 && report.groups.every(g => groupSucceeded(g, s.wait))
  return report.groups.length === s.deploymentGroups.length && report.groups.every(g => groupSucceeded(g, s.wait))
}

/** Duration of the deployments: from the first CreateDeployment to the last end seen. */
export function durationSeconds(report: RunReport): number | undefined {
  const starts = report.groups.map(g => g.result?.createTime?.getTime()).filter((t): t is number => t !== undefined)
  if (starts.length === 0) return undefined
  const ends = report.groups.map(g => g.result?.completeTime?.getTime() ?? report.endedAt)
  return Math.max(0, Math.round((Math.max(...ends) - Math.min(...starts)) / 1000))
}
