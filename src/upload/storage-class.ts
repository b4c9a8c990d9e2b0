import { ActionError } from '../core/errors.js'
import { s3Uri, type BundleLocation } from './location.js'

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

/**
 * Refuses an object the agent could not download: every instance's DownloadBundle would fail with
 * InvalidObjectState. A restored copy (ongoing-request="false") is readable until it expires.
 */
export function assertReadable(storage: StorageState, loc: BundleLocation, version: string | undefined): void {
  const tiered = storage.storageClass === 'INTELLIGENT_TIERING' && /ARCHIVE_ACCESS$/.test(storage.archiveStatus ?? '')
  if (!ARCHIVE_CLASSES.has(storage.storageClass ?? '') && !tiered) return
  if (/ongoing-request="false"/.test(storage.restore ?? '')) return
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
