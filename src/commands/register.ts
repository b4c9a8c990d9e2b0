import { registerRevision } from '../deploy/register-revision.js'
import { s3Uri } from '../upload/location.js'
import type { CommandContext } from './context.js'

/**
 * `command: register`, once the bundle is uploaded (or reused) as deploy does it:
 * RegisterApplicationRevision, so the revision is listed in CodeDeploy and a later run (a
 * dispatch with this sha) deploys exactly it. No deployment.
 */
export async function registerUploaded(ctx: CommandContext): Promise<void> {
  const { settings: s, log, report } = ctx
  const revision = report.revision
  if (!revision) return
  report.registered = await log.group('Register the revision', async () => {
    const registered = await registerRevision(s.applicationName, revision, s.description, ctx)
    const version = revision.version ? `, version ${revision.version}` : ''
    log.info(
      `Registered ${s3Uri(revision)} (${revision.bundleType}, eTag ${revision.eTag}${version}) with application ${s.applicationName}: ` +
        `"${s.description}". Nothing was deployed; deploy it later with \`sha: ${s.sha}\` and \`upload: never\`.`
    )
    return registered
  })
}
