/** The words every stage shares: what a bundle is, how it is uploaded, where it is deployed. */

export type BundleType = 'zip' | 'tar' | 'tgz'
export type UploadMode = 'auto' | 'always' | 'never'
export type FileExistsBehavior = 'DISALLOW' | 'OVERWRITE' | 'RETAIN'
export type ServerSideEncryption = 'AES256' | 'aws:kms'

/** The compute platforms CodeDeploy deploys to; EC2/on-premises is `Server`. */
export type ComputePlatform = 'Server' | 'ECS' | 'Lambda'

/** The events CodeDeploy can roll a deployment back on. */
export const AUTO_ROLLBACK_EVENTS = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'] as const
export type AutoRollbackEvent = (typeof AUTO_ROLLBACK_EVENTS)[number]
/** `group`: the deployment group's own rollback settings (nothing sent); `off`; or enabled on these events. */
export type AutoRollback = 'group' | 'off' | readonly AutoRollbackEvent[]
/** `group`: the deployment group's CloudWatch alarms apply; `off`: this deployment does not poll them. */
export type AlarmsMode = 'group' | 'off'
