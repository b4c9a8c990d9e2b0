/**
 * An archived bundle is never deployed: every instance's DownloadBundle would fail with
 * InvalidObjectState. The storage class, restore and archive status come from the HEAD.
 */
import { findExisting, requireExisting } from '../../../src/upload/existing-object.js'
import { restoredCopyNote } from '../../../src/upload/storage-class.js'
import { uploadBundle } from '../../../src/upload/upload-bundle.js'
import { fakeDeps } from '../../helpers/deps.js'
import { randomBytes } from '../../helpers/tree.js'
import { BUCKET, failure, KEY, location, MB, useLocalS3 } from './local-s3.js'

const bed = useLocalS3()
const deps = () => fakeDeps({ s3: bed.client })
const RESTORED = 'ongoing-request="false", expiry-date="Fri, 21 Dec 2040 00:00:00 GMT"'

async function uploaded(seed: number) {
  const bundle = await bed.bundleOf(randomBytes(MB, seed))
  const revision = await uploadBundle(bundle, location(), 'auto', deps())
  return { bundle, revision }
}

describe('an archived object at the key', () => {
  test.each([
    [{ storageClass: 'GLACIER' }, 'GLACIER', '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}'],
    [{ storageClass: 'DEEP_ARCHIVE' }, 'DEEP_ARCHIVE', '{"Days":7,"GlacierJobParameters":{"Tier":"Standard"}}'],
    [
      { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'DEEP_ARCHIVE_ACCESS' },
      'INTELLIGENT_TIERING \\(DEEP_ARCHIVE_ACCESS\\)',
      '{"GlacierJobParameters":{"Tier":"Standard"}}'
    ],
    [
      { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'ARCHIVE_ACCESS' },
      'INTELLIGENT_TIERING \\(ARCHIVE_ACCESS\\)',
      '{"GlacierJobParameters"'
    ]
  ])('%j: auto re-run and redeploy refuse it, naming the class and the restore-object line', async (spec, named, request) => {
    const { bundle } = await uploaded(31)
    bed.s3.setStorageClass(BUCKET, KEY, spec)
    // One at a time: a refusal must not wait unobserved while another runs.
    for (const attempt of [
      () => uploadBundle(bundle, location(), 'auto', deps()),
      () => findExisting(location(), deps()),
      () => requireExisting(location(), deps())
    ]) {
      const error = await failure(attempt())
      expect(error.code).toBe('InvalidObjectState')
      expect(error.describe()).toMatch(
        new RegExp(
          `^s3://bundles/app/abc\\.zip is archived in ${named}: CodeDeploy cannot read it, so DownloadBundle would fail with InvalidObjectState on every instance\\. ` +
            `Fix: restore it, wait until the restore is done, then run again: aws s3api restore-object --bucket bundles --key app/abc\\.zip --restore-request '${request.replace(/[{}]/g, '\\$&')}`
        )
      )
    }
    expect(bed.ops('PutObject')).toBe(1)
  })

  test('a restore in progress: wait for it', async () => {
    await uploaded(32)
    bed.s3.setStorageClass(BUCKET, KEY, { storageClass: 'GLACIER', restore: 'ongoing-request="true"' })
    const error = await failure(requireExisting(location(), deps()))
    expect(error.describe()).toMatch(/is archived in GLACIER and its restore is still in progress: .* Fix: wait until the restore is done/)
  })

  test.each([
    [{ storageClass: 'GLACIER_IR' }, undefined],
    [{ storageClass: 'STANDARD_IA' }, undefined],
    [{ storageClass: 'INTELLIGENT_TIERING' }, undefined],
    [{ storageClass: 'GLACIER', restore: RESTORED }, new Date('2040-12-21T00:00:00Z')],
    [{ storageClass: 'DEEP_ARCHIVE', restore: RESTORED }, new Date('2040-12-21T00:00:00Z')]
  ])('%j is readable and is deployed (a restored copy with the date it goes away)', async (spec, until) => {
    const { bundle, revision } = await uploaded(33)
    bed.s3.setStorageClass(BUCKET, KEY, spec)
    const expected = { ...revision, uploaded: false, ...(until ? { restoredUntil: until } : {}) }
    expect(await uploadBundle(bundle, location(), 'auto', deps())).toEqual({ ...expected, matchedBy: 'sha256' })
    expect(await requireExisting(location(), deps())).toEqual(expected)
  })

  test('a restored copy past its expiry-date is archived again (as S3 removes it), and refused', async () => {
    await uploaded(34)
    bed.s3.setStorageClass(BUCKET, KEY, {
      storageClass: 'GLACIER',
      restore: 'ongoing-request="false", expiry-date="Fri, 21 Dec 2012 00:00:00 GMT"'
    })
    const error = await failure(requireExisting(location(), deps()))
    expect(error.describe()).toMatch(/is archived in GLACIER: CodeDeploy cannot read it/)
  })
})

describe('restoredCopyNote', () => {
  const revision = {
    bucket: BUCKET,
    key: KEY,
    bundleType: 'zip' as const,
    eTag: 'e',
    version: 'v1',
    sha256: undefined,
    size: 1,
    uploaded: false
  }
  const now = Date.parse('2026-12-01T00:00:00Z')

  test('names the date, the time left, what fails after it and the restore-object line to extend it', () => {
    const note = restoredCopyNote({ ...revision, restoredUntil: new Date('2026-12-05T00:00:00Z') }, now)
    expect(note).toBe(
      `s3://${BUCKET}/${KEY} is a restored copy of an archived object, readable until 2026-12-05T00:00:00.000Z (in 4 days). After ` +
        'that, an automatic rollback to this revision, an Auto Scaling scale-out that installs it and a redeploy of this commit fail ' +
        'at DownloadBundle with InvalidObjectState. To keep it deployable, restore it for longer (a new restore-object extends the ' +
        `copy): aws s3api restore-object --bucket ${BUCKET} --key ${KEY} --version-id v1 --restore-request '{"Days":30}'; and keep ` +
        'bundles that rollbacks may need out of archive tiers in the lifecycle rules.'
    )
  })

  test('hours when it is close; nothing for an object that is not a restored copy', () => {
    expect(restoredCopyNote({ ...revision, restoredUntil: new Date(now + 5 * 3600_000) }, now)).toContain('(in 5 h)')
    expect(restoredCopyNote(revision, now)).toBeUndefined()
  })
})
