import * as crypto from 'node:crypto'
import { UploadPartCommand, type CompletedPart, type S3Client } from '@aws-sdk/client-s3'
import { abortable } from '../aws/clients.js'
import { crc32Base64, type BundleLocation } from './location.js'

export interface Part {
  loc: BundleLocation
  uploadId: string
  partNumber: number
  body: Buffer
  /** The part's CRC-32: an upload created with the CRC32 algorithm takes one with each part. */
  crc: number
}

/** UploadPart with the checks S3 makes before it keeps a part; what CompleteMultipartUpload needs of it. */
export async function uploadPart(s3: S3Client, part: Part, signal: AbortSignal): Promise<CompletedPart> {
  const { loc, body } = part
  const checksum = crc32Base64(part.crc)
  const out = await s3.send(
    new UploadPartCommand({
      Bucket: loc.bucket,
      Key: loc.key,
      UploadId: part.uploadId,
      PartNumber: part.partNumber,
      Body: body,
      ContentLength: body.length,
      // S3 refuses a part whose bytes do not match (BadDigest), so a bad part never lands.
      ContentMD5: crypto.createHash('md5').update(body).digest('base64'),
      ChecksumCRC32: checksum,
      ExpectedBucketOwner: loc.expectedBucketOwner
    }),
    abortable(signal)
  )
  return { PartNumber: part.partNumber, ETag: out.ETag ?? '', ChecksumCRC32: checksum }
}
