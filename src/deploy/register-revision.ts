import { GetApplicationRevisionCommand, RegisterApplicationRevisionCommand, type RevisionLocation } from '@aws-sdk/client-codedeploy'
import type { StageDeps } from '../core/deps.js'
import { ActionError, awsErrorName } from '../core/errors.js'
import { abortable } from '../aws/clients.js'
import { explainAwsError } from '../aws/service-errors.js'
import type { UploadedRevision } from '../upload/location.js'

export interface RegisteredRevision {
  location: RevisionLocation
  /** From GetApplicationRevision; undefined when it could not be read back. */
  registerTime: Date | undefined
  /** Groups for which this is the current target revision. */
  deploymentGroups: string[]
}

/** The S3 revision exactly as deploy would pass it: pinned by eTag (and version, when versioned). */
export function s3Revision(r: UploadedRevision): RevisionLocation {
  return {
    revisionType: 'S3',
    s3Location: { bucket: r.bucket, key: r.key, bundleType: r.bundleType, eTag: r.eTag || undefined, version: r.version }
  }
}

/**
 * RegisterApplicationRevision, so the revision is listed in the application and a later run
 * can deploy it; then read back (GetApplicationRevision), which only fills in the log.
 */
export async function registerRevision(
  applicationName: string,
  revision: UploadedRevision,
  description: string,
  deps: Pick<StageDeps, 'clients' | 'signal'>
): Promise<RegisteredRevision> {
  const cd = deps.clients.codedeploy
  const location = s3Revision(revision)
  try {
    await cd.send(new RegisterApplicationRevisionCommand({ applicationName, revision: location, description }), abortable(deps.signal))
  } catch (error) {
    if (awsErrorName(error) === 'ApplicationDoesNotExistException') {
      throw new ActionError(`application '${applicationName}' does not exist in this account and region.`, {
        input: 'application-name',
        fix: 'check the name and aws-region (CodeDeploy applications are regional).',
        code: 'ApplicationDoesNotExistException',
        cause: error
      })
    }
    throw explainAwsError(
      error,
      `registering the revision with application ${applicationName}`,
      'codedeploy:RegisterApplicationRevision',
      `application ${applicationName}`
    )
  }
  try {
    const out = await cd.send(new GetApplicationRevisionCommand({ applicationName, revision: location }), abortable(deps.signal))
    return { location, registerTime: out.revisionInfo?.registerTime, deploymentGroups: out.revisionInfo?.deploymentGroups ?? [] }
  } catch {
    // Registered all the same; codedeploy:GetApplicationRevision is not needed for that.
    return { location, registerTime: undefined, deploymentGroups: [] }
  }
}
