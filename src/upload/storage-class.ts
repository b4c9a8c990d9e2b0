import { ActionError } from '../core/errors.js'
import { s3Uri, type BundleLocation, type UploadedRevision } from './location.js'

/** What HeadObject says about where the bytes are kept (x-amz-storage-class, -restore, -archive-status). */
export interface StorageState {
  /** Absent for STANDARD. */
  storageClass: string | undefined
  /** e.g. `ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"`. */
  restore: string | undefined
  /** INTELLIGENT_TIERING only: ARCHIVE_ACCESS or DEEP_ARCHIVE_ACCESS. */
  archiveStatus: string | undefined
}

/** Classes whose objects cannot be read (GetObject: InvalidObjectState) until restored. GLACIER_IR is read at once. */
const ARCHIVE_CLASSES = new Set(['GLACIER', 'DEEP_ARCHIVE'])

function isArchived(storage: StorageState): { tiered: boolean } | undefined {
  const tiered = storage.storageClass === 'INTELLIGENT_TIERING' && /ARCHIVE_ACCESS$/.test(storage.archiveStatus ?? '')
  return ARCHIVE_CLASSES.has(storage.storageClass ?? '') || tiered ? { tiered } : undefined
}

/** A restore that is done: the copy is readable (until its expiry-date). */
function isRestored(storage: StorageState): boolean {
  return /ongoing-request="false"/.test(storage.restore ?? '')
}

/**
 * When a restored copy of an archived object goes away (x-amz-restore's expiry-date), or
 * undefined for an object that is not a restored copy. Intelligent-Tiering objects move back to
 * the frequent tier when restored, with no expiry.
 */
export function restoredUntil(storage: StorageState): Date | undefined {
  if (!isArchived(storage) || !isRestored(storage)) return undefined
  const expiry = /expiry-date="([^"]+)"/.exec(storage.restore ?? '')?.[1]
  const at = expiry ? new Date(expiry) : undefined
  return at && !Number.isNaN(at.getTime()) ? at : undefined
}

/**
 * A restored copy deploys now, but S3 archives it again at its expiry: from then on a rollback
 * to this revision, an Auto Scaling scale-out that installs it and a redeploy of this commit
 * fail at DownloadBundle with InvalidObjectState. Said once, with how to keep it.
 */
export function restoredCopyNote(revision: UploadedRevision, now: number): string | undefined {
  const until = revision.restoredUntil
  if (!until) return undefined
  const left = until.getTime() - now
  const inTime =
    left <= 0
      ? 'now'
      : left < 48 * 3600_000
        ? `in ${Math.max(1, Math.round(left / 3600_000))} h`
        : `in ${Math.round(left / 86_400_000)} days`
  const versionArg = revision.version ? ` --version-id ${revision.version}` : ''
  return (
    `${s3Uri(revision)} is a restored copy of an archived object, readable until ${until.toISOString()} (${inTime}). After that, an ` +
    'automatic rollback to this revision, an Auto Scaling scale-out that installs it and a redeploy of this commit fail at ' +
    'DownloadBundle with InvalidObjectState. To keep it deployable, restore it for longer (a new restore-object extends the ' +
    `copy): aws s3api restore-object --bucket ${revision.bucket} --key ${revision.key}${versionArg} ` +
    `--restore-request '{"Days":30}'; and keep bundles that rollbacks may need out of archive tiers in the lifecycle rules.`
  )
}

/**
 * Refuses an object the agent could not download: every instance's DownloadBundle would fail with
 * InvalidObjectState. A restored copy (ongoing-request="false") is readable until it expires.
 */
export function assertReadable(storage: StorageState, loc: BundleLocation, version: string | undefined): void {
  const archived = isArchived(storage)
  if (!archived) return
  const { tiered } = archived
  if (isRestored(storage)) return
  const where = tiered ? `INTELLIGENT_TIERING (${storage.archiveStatus})` : storage.storageClass
  const versionArg = version ? ` --version-id ${version}` : ''
  // Intelligent-Tiering archive tiers take no Days: the object moves back to the frequent tier.
  const request = tiered ? '{"GlacierJobParameters":{"Tier":"Standard"}}' : '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}'
  const ongoing = /ongoing-request="true"/.test(storage.restore ?? '')
  throw new ActionError(
    `${s3Uri(loc)} is archived in ${where}${ongoing ? ' and its restore is still in progress' : ''}: ` +
      'CodeDeploy cannot read it, so DownloadBundle would fail with InvalidObjectState on every instance.',
    {
      fix: ongoing
        ? 'wait until the restore is done (HeadObject shows ongoing-request="false"), then run again.'
        : `restore it, wait until the restore is done, then run again: aws s3api restore-object --bucket ${loc.bucket} ` +
          `--key ${loc.key}${versionArg} --restore-request '${request}'. Or build and upload the bundle again under another s3-key-prefix; ` +
          'and keep bundles that rollbacks may need out of archive tiers in the lifecycle rules.',
      code: 'InvalidObjectState'
    }
  )
}
