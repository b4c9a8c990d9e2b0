import type { AlarmsMode, AutoRollback, BundleType, FileExistsBehavior, ServerSideEncryption, UploadMode } from '../core/domain.js'
import type { AppSpecInput } from './appspec.js'
import type { Command } from './command.js'

/** Everything the action needs, read and checked once, before any work is done. */
export interface Settings {
  applicationName: string
  deploymentGroups: string[]
  deploymentConfig: string | undefined
  /** ECS and Lambda: the AppSpec sent as content. Undefined for EC2/on-premises, which deploy a bundle. */
  appspec: AppSpecInput | undefined
  /** '' for ECS and Lambda deployments, which upload nothing. */
  s3Bucket: string
  s3KeyPrefix: string
  /** Absolute, symlinks resolved. */
  sourceDir: string
  exclude: string[]
  bundleType: BundleType
  sha: string
  /** `sha` names another commit than the workflow's: its bundle should already be in S3. */
  redeploy: boolean
  upload: UploadMode
  description: string
  fileExistsBehavior: FileExistsBehavior | undefined
  ignoreApplicationStopFailures: boolean
  wait: boolean
  timeoutMinutes: number
  stopOnCancel: boolean
  region: string
  s3Sse: ServerSideEncryption | undefined
  s3KmsKeyId: string | undefined
  expectedBucketOwner: string | undefined
  githubEnvironment: string | undefined
  githubToken: string | undefined
  repository: string | undefined
  runUrl: string | undefined
  /** SOURCE_DATE_EPOCH (whole seconds): the bundle's timestamp when source-dir is not a git checkout of `sha`. */
  sourceDateEpoch?: number | undefined
  /** GITHUB_EVENT_PATH: the event payload, whose head commit can date the bundle. */
  eventPath?: string | undefined
  /** `bundle`: an archive built earlier (absolute, symlinks resolved), uploaded byte for byte; bundleType is its type. */
  prebuiltBundle: string | undefined
  /** `s3-key`: the exact key, instead of `<prefix><sha>.<ext>`. */
  s3Key: string | undefined
  updateOutdatedInstancesOnly: boolean
  autoRollback: AutoRollback
  alarms: AlarmsMode
  /** The GitHub deployment's production_environment (only meaningful with githubEnvironment). */
  githubEnvironmentProduction: boolean
  /** The GitHub deployment status's environment_url. */
  githubEnvironmentUrl: string | undefined
  /** What the step does; deploy unless `command` says otherwise. */
  command: Command
  /** watch, continue, stop: the deployment they act on (its application and group come from GetDeployment). */
  deploymentId: string | undefined
  /** stop: roll back what the stopped deployment changed (StopDeployment's autoRollbackEnabled). */
  autoRollbackOnStop: boolean
  /** Blue/green: wait through the original environment's termination wait instead of ending once traffic has moved. */
  waitForTermination: boolean
}
