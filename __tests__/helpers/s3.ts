import { createHash } from 'node:crypto'
import { NotFound, NoSuchBucket, NoSuchUpload, S3Client, S3ServiceException, type ServiceOutputTypes } from '@aws-sdk/client-s3'

/** One request as the client was given it (a body is copied when received: the caller may reuse its buffer). */
export interface S3Call {
  command: string
  input: Record<string, unknown>
}

export interface StoredObject {
  body: Buffer
  metadata: Record<string, string>
  /** Without quotes; S3's: the MD5 of the bytes, or of the parts' MD5s and `-<count>` for a multipart upload. */
  eTag: string
  versionId: string | undefined
  contentType: string | undefined
}

interface Upload {
  bucket: string
  key: string
  metadata: Record<string, string>
  contentType: string | undefined
  parts: Map<number, Buffer>
}

const md5 = (b: Buffer): string => createHash('md5').update(b).digest('hex')
const ok = { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 }

/** An error shaped as the S3 client throws it for a service error. */
export function s3Error(name: string, httpStatusCode = 400, message = `${name} (simulated)`): S3ServiceException {
  return new S3ServiceException({ name, $fault: httpStatusCode >= 500 ? 'server' : 'client', message, $metadata: { httpStatusCode } })
}

/**
 * A real S3Client whose requests never leave the process: a middleware at the front of its stack
 * answers HeadObject, PutObject and the multipart upload commands from an in-memory bucket map and
 * records every request. A request whose abort signal has fired fails with an AbortError, as the
 * SDK's does; `fault` lets a test fail one request with an error of its choosing.
 */
export class FakeS3 {
  readonly calls: S3Call[] = []
  readonly client: S3Client
  /** Return an error to throw it instead of answering the request. */
  fault: ((call: S3Call, index: number) => Error | undefined) | undefined
  private readonly objects = new Map<string, StoredObject>()
  private readonly uploads = new Map<string, Upload>()
  private versions = 0
  private uploadIds = 0

  constructor(private readonly options: { buckets?: readonly string[]; versioned?: boolean } = {}) {
    this.client = new S3Client({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKES3', secretAccessKey: 'fake' }, maxAttempts: 1 })
    this.client.middlewareStack.add(
      (_next, context) => async args => {
        const command = String(context.commandName).replace(/Command$/, '')
        const given = args.input as Record<string, unknown>
        const call: S3Call = { command, input: 'Body' in given ? { ...given, Body: bytes(given['Body']) } : { ...given } }
        const index = this.calls.push(call) - 1
        await Promise.resolve()
        // Where the SDK puts the request's abort signal for middleware to see.
        if (context.__smithy_context?.abortSignal?.aborted) throw Object.assign(new Error('Request aborted'), { name: 'AbortError' })
        const error = this.fault?.(call, index)
        if (error) throw error
        return { output: this.answer(call), response: {} }
      },
      { step: 'initialize', priority: 'high', name: 'fakeS3Answers' }
    )
  }

  /** Puts an object as if an earlier run had (its eTag and version as S3 would give them). */
  put(bucket: string, key: string, body: Buffer, metadata: Record<string, string> = {}, contentType?: string): StoredObject {
    const stored: StoredObject = {
      body: Buffer.from(body),
      metadata: { ...metadata },
      eTag: md5(body),
      versionId: this.nextVersion(),
      contentType
    }
    this.objects.set(`${bucket}/${key}`, stored)
    return stored
  }

  get(bucket: string, key: string): StoredObject | undefined {
    return this.objects.get(`${bucket}/${key}`)
  }

  count(command: string): number {
    return this.calls.filter(c => c.command === command).length
  }

  inputs(command: string): Array<Record<string, unknown>> {
    return this.calls.filter(c => c.command === command).map(c => c.input)
  }

  /** Multipart uploads begun and neither completed nor aborted (S3 bills their parts). */
  get openUploads(): number {
    return this.uploads.size
  }

  private answer({ command, input }: S3Call): ServiceOutputTypes {
    const bucket = String(input['Bucket'])
    const key = String(input['Key'])
    if (this.options.buckets && !this.options.buckets.includes(bucket)) {
      // A HEAD has no body to name the error: the SDK sees a bare 404.
      if (command === 'HeadObject') throw new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } })
      throw new NoSuchBucket({ message: `The specified bucket does not exist: ${bucket}`, $metadata: { httpStatusCode: 404 } })
    }
    switch (command) {
      case 'HeadObject': {
        const found = this.get(bucket, key)
        if (!found) throw new NotFound({ message: 'NotFound', $metadata: { httpStatusCode: 404 } })
        return {
          $metadata: ok,
          ETag: `"${found.eTag}"`,
          VersionId: found.versionId,
          ContentLength: found.body.length,
          Metadata: found.metadata
        }
      }
      case 'PutObject': {
        const body = input['Body'] as Buffer
        const stored = this.put(bucket, key, body, metadataOf(input), contentTypeOf(input))
        return { $metadata: ok, ETag: `"${stored.eTag}"`, VersionId: stored.versionId }
      }
      case 'CreateMultipartUpload': {
        const uploadId = `upload-${++this.uploadIds}`
        this.uploads.set(uploadId, { bucket, key, metadata: metadataOf(input), contentType: contentTypeOf(input), parts: new Map() })
        return { $metadata: ok, Bucket: bucket, Key: key, UploadId: uploadId }
      }
      case 'UploadPart': {
        const body = input['Body'] as Buffer
        this.upload(input).parts.set(Number(input['PartNumber']), body)
        return { $metadata: ok, ETag: `"${md5(body)}"` }
      }
      case 'CompleteMultipartUpload': {
        const upload = this.upload(input)
        const listed = (input['MultipartUpload'] as { Parts?: Array<{ PartNumber?: number; ETag?: string }> } | undefined)?.Parts ?? []
        const parts = listed.map(p => {
          const part = upload.parts.get(p.PartNumber ?? 0)
          if (!part || `"${md5(part)}"` !== p.ETag)
            throw s3Error('InvalidPart', 400, `part ${p.PartNumber} not uploaded with ETag ${p.ETag}`)
          return part
        })
        this.uploads.delete(String(input['UploadId']))
        const stored = this.put(bucket, key, Buffer.concat(parts), upload.metadata, upload.contentType)
        stored.eTag = `${md5(Buffer.concat(parts.map(p => Buffer.from(md5(p), 'hex'))))}-${parts.length}`
        return { $metadata: ok, Bucket: bucket, Key: key, ETag: `"${stored.eTag}"`, VersionId: stored.versionId }
      }
      case 'AbortMultipartUpload':
        this.upload(input)
        this.uploads.delete(String(input['UploadId']))
        return { $metadata: { ...ok, httpStatusCode: 204 } }
      default:
        throw new Error(`FakeS3: no answer for ${command}`)
    }
  }

  private upload(input: Record<string, unknown>): Upload {
    const upload = this.uploads.get(String(input['UploadId']))
    if (!upload) throw new NoSuchUpload({ message: 'The specified upload does not exist.', $metadata: { httpStatusCode: 404 } })
    return upload
  }

  private nextVersion(): string | undefined {
    return this.options.versioned ? `v${++this.versions}` : undefined
  }
}

function bytes(body: unknown): Buffer {
  if (typeof body === 'string' || body instanceof Uint8Array) return Buffer.from(body)
  throw new Error('FakeS3: only string and byte bodies are supported (the action sends buffers so the SDK can retry them)')
}

function metadataOf(input: Record<string, unknown>): Record<string, string> {
  return { ...(input['Metadata'] as Record<string, string> | undefined) }
}

function contentTypeOf(input: Record<string, unknown>): string | undefined {
  return typeof input['ContentType'] === 'string' ? input['ContentType'] : undefined
}
