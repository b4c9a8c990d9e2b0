/** The words every stage shares: what a bundle is, how it is uploaded, where it is deployed. */

export type BundleType = 'zip' | 'tar' | 'tgz'
export type UploadMode = 'auto' | 'always' | 'never'
export type FileExistsBehavior = 'DISALLOW' | 'OVERWRITE' | 'RETAIN'
export type ServerSideEncryption = 'AES256' | 'aws:kms'

/** The compute platforms CodeDeploy deploys to; EC2/on-premises is `Server`. */
export type ComputePlatform = 'Server' | 'ECS' | 'Lambda'
