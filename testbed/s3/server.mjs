// @ts-check
// Local S3: s3rver started in-process on a temp directory, plus a small helper client.
import { createRequire } from 'node:module'
import { S3Client, CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3'
import { PatchedStore, s3PreMiddleware, S3_ACCOUNT_ID } from './fixes.mjs'
import { S3Faults } from './faults.mjs'
import { ObjectState } from './object-state.mjs'

const require = createRequire(import.meta.url)
const S3rver = /** @type {any} */ (require('s3rver'))

/** s3rver only accepts its own dummy key pair. (Not frozen: the SDK tags credential objects.) */
export const S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }
export const REGION = 'us-east-1'

/**
 * @typedef {object} S3ObjectResult
 * @property {Buffer} body
 * @property {string} etag the ETag as S3 returns it, with quotes
 * @property {Record<string, string>} metadata user metadata (x-amz-meta-* without the prefix)
 * @property {number} contentLength
 * @property {string | undefined} serverSideEncryption
 */

/**
 * @typedef {object} LocalS3
 * @property {string} endpoint e.g. http://127.0.0.1:PORT
 * @property {string} accountId the bucket owner account id (for expected-bucket-owner)
 * @property {S3Client} client the testbed's own client (path-style, checksums only when required)
 * @property {(name: string) => Promise<void>} createBucket
 * @property {(bucket: string, key: string) => Promise<S3ObjectResult>} getObject
 * @property {(bucket: string) => Promise<string[]>} listKeys
 * @property {(fault: import('./faults.mjs').S3FaultSpec) => void} injectFault make the next `count` matching requests fail
 * @property {() => void} clearFaults drop the injected faults not used yet
 * @property {import('./faults.mjs').S3RequestRecord[]} requests every request received, in order
 * @property {(bucket: string) => Promise<import('./faults.mjs').MultipartUploadInProgress[]>} listMultipartUploads
 *   multipart uploads neither completed nor aborted
 * @property {() => Promise<void>} idle resolves once no request is being handled
 * @property {(bucket: string, status: 'Enabled' | 'Suspended') => void} setVersioning as PutBucketVersioning: later writes make versions
 * @property {(bucket: string, key: string, spec: import('./object-state.mjs').StorageSpec) => void} setStorageClass
 *   as a lifecycle transition or a restore would leave the object: e.g. { storageClass: 'GLACIER' },
 *   { storageClass: 'INTELLIGENT_TIERING', archiveStatus: 'DEEP_ARCHIVE_ACCESS' }, restore: 'ongoing-request="false", expiry-date="..."'
 * @property {() => Promise<void>} stop
 */

/**
 * An S3 client configured for the local server.
 * @param {string} endpoint
 * @returns {S3Client}
 */
export function localS3Client(endpoint) {
  return new S3Client({
    endpoint,
    region: REGION,
    forcePathStyle: true,
    credentials: { ...S3_CREDENTIALS },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED'
  })
}

/**
 * @param {{ directory: string, log?: ((line: string) => void) | undefined }} options
 * @returns {Promise<LocalS3>}
 */
export async function startS3(options) {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: options.directory })
  const state = new ObjectState()
  const store = new PatchedStore(options.directory, state)
  server.store = server.context.store = store
  // Koa composes middleware when the server starts listening, so this runs before s3rver's own.
  server.middleware.unshift(s3PreMiddleware(store, options.log))
  // Before the fixes, so an injected fault never reaches them or the store.
  const faults = new S3Faults(store, options.log)
  server.middleware.unshift(faults.middleware())
  // s3rver emits 'error' for every failed request (404s included); keep them out of the console.
  server.silent = true
  server.on('error', () => {})
  /** @type {{ port: number }} */
  const address = await server.run()
  const endpoint = `http://127.0.0.1:${address.port}`
  const client = localS3Client(endpoint)

  return {
    endpoint,
    accountId: S3_ACCOUNT_ID,
    client,
    async createBucket(name) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: name }))
      } catch (err) {
        // s3rver says BucketAlreadyExists where S3 says BucketAlreadyOwnedByYou: creating twice is fine here.
        const name = /** @type {any} */ (err)?.name
        if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw err
      }
    },
    async getObject(bucket, key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      const body = res.Body ? Buffer.from(await res.Body.transformToByteArray()) : Buffer.alloc(0)
      return {
        body,
        etag: res.ETag ?? '',
        metadata: { ...(res.Metadata ?? {}) },
        contentLength: res.ContentLength ?? body.length,
        serverSideEncryption: res.ServerSideEncryption
      }
    },
    async listKeys(bucket) {
      /** @type {string[]} */
      const keys = []
      /** @type {string | undefined} */
      let token
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, ...(token ? { ContinuationToken: token } : {}) }))
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key)
        token = page.IsTruncated ? page.NextContinuationToken : undefined
      } while (token)
      return keys
    },
    injectFault: fault => faults.injectFault(fault),
    clearFaults: () => faults.clearFaults(),
    requests: faults.requests,
    listMultipartUploads: bucket => faults.listMultipartUploads(bucket),
    idle: () => faults.idle(),
    setVersioning: (bucket, status) => state.setVersioning(bucket, status),
    setStorageClass: (bucket, key, spec) => state.setStorage(bucket, key, spec),
    async stop() {
      faults.close()
      client.destroy()
      server.httpServer?.closeAllConnections?.()
      await server.close()
    }
  }
}
