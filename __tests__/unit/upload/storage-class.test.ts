/**
 * An archived bundle is never deployed: every instance's DownloadBundle would fail with
 * InvalidObjectState. The storage class, restore and archive status come from the HEAD.
 */
import { findExisting, requireExisting } from '../../../src/upload/existing-object.js'
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
    [{ storageClass: 'GLACIER_IR' }],
    [{ storageClass: 'STANDARD_IA' }],
    [{ storageClass: 'INTELLIGENT_TIERING' }],
    [{ storageClass: 'GLACIER', restore: RESTORED }],
    [{ storageClass: 'DEEP_ARCHIVE', restore: RESTORED }]
  ])('%j is readable and is deployed', async spec => {
    const { bundle, revision } = await uploaded(33)
    bed.s3.setStorageClass(BUCKET, KEY, spec)
    expect(await uploadBundle(bundle, location(), 'auto', deps())).toEqual({ ...revision, uploaded: false })
    expect(await requireExisting(location(), deps())).toEqual({ ...revision, uploaded: false })
  })
})
