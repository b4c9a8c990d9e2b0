// @ts-check
// What S3 keeps about objects that s3rver 3.7.1 does not: bucket versioning (GetBucketVersioning /
// PutBucketVersioning, a version id per write, GET/HEAD of an earlier version), storage classes
// and archive tiers set by a test (HEAD tells, GET of an archived object fails with
// InvalidObjectState), and conditional writes decided atomically when the object is stored
// (`If-None-Match: *`: one of two racing writers wins, the other gets 412, or 409 for a multipart
// upload completing while another write of the key is being stored).
import crypto from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import { AsyncLocalStorage } from 'node:async_hooks'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))

/**
 * @typedef {{
 *   ifNoneMatch: boolean, versionId?: string | undefined,
 *   uploadChecksum?: import('./checksums.mjs').UploadChecksum | undefined,
 *   partCrc32?: string | undefined, fullCrc32?: string | undefined,
 *   stored?: import('./checksums.mjs').StoredChecksum | undefined
 * }} WriteContext what a request's write needs (its conditions and checksums), and what it gives back
 * @typedef {{ versionId: string, etag: string, size: number, lastModified: Date, metadata: Record<string, string> }} VersionRecord
 * @typedef {{ storageClass?: string, archiveStatus?: string, restore?: string }} StorageSpec
 */

/** The write conditions of the request being handled, seen by the store when it commits the object. */
export const writeContext = /** @type {AsyncLocalStorage<WriteContext>} */ (new AsyncLocalStorage())

const ARCHIVED = new Set(['GLACIER', 'DEEP_ARCHIVE'])

export class ObjectState {
  constructor() {
    /** @type {Map<string, 'Enabled' | 'Suspended'>} */ this.versioning = new Map()
    /** @type {Map<string, VersionRecord[]>} bucket\0key -> versions, oldest first */ this.versions = new Map()
    /** @type {Map<string, StorageSpec>} bucket\0key -> storage class / archive state */ this.storage = new Map()
    /** @type {Map<string, Promise<void>>} bucket\0key -> the write being stored */ this.locks = new Map()
  }

  /** @param {string} bucket @param {'Enabled' | 'Suspended'} status */
  setVersioning(bucket, status) {
    this.versioning.set(bucket, status)
  }

  /** @param {string} bucket @param {string} key @param {StorageSpec} spec */
  setStorage(bucket, key, spec) {
    this.storage.set(`${bucket}\0${key}`, { ...spec })
  }

  /**
   * Runs `fn` (the check and the store of one object) alone for its key. `conflict`: when another
   * write of the key is being stored, fail at once with 409 ConditionalRequestConflict.
   * @template T @param {string} bucket @param {string} key @param {boolean} conflict @param {() => Promise<T>} fn @returns {Promise<T>}
   */
  async exclusive(bucket, key, conflict, fn) {
    const id = `${bucket}\0${key}`
    while (this.locks.has(id)) {
      if (conflict) {
        const e = new S3Error(
          'ConditionalRequestConflict',
          'A conflicting operation occurred. If using PutObject you can retry the request. If using multipart upload you should initiate another CreateMultipartUpload request and re-upload each part.'
        )
        e.status = 409
        throw e
      }
      await this.locks.get(id)
    }
    /** @type {() => void} */
    let release = () => {}
    this.locks.set(id, new Promise(resolve => (release = () => resolve(undefined))))
    try {
      return await fn()
    } finally {
      this.locks.delete(id)
      release()
    }
  }

  /**
   * After an object was stored: in a versioned bucket it becomes a new version (a hard link keeps
   * its bytes, as each write is a new file). Returns the version id, if any.
   * @param {any} store @param {string} bucket @param {string} key @param {string} etag @param {number} size
   */
  async recordWrite(store, bucket, key, etag, size) {
    this.storage.delete(`${bucket}\0${key}`)
    if (this.versioning.get(bucket) !== 'Enabled') return undefined
    const versionId = crypto.randomBytes(16).toString('base64url')
    await fsp.link(store.getResourcePath(bucket, key, 'object'), store.getResourcePath(bucket, key, `version-${versionId}`))
    const metadata = JSON.parse(await fsp.readFile(store.getResourcePath(bucket, key, 'metadata.json'), 'utf8').catch(() => '{}'))
    const list = this.versions.get(`${bucket}\0${key}`) ?? []
    list.push({ versionId, etag, size, lastModified: new Date(), metadata })
    this.versions.set(`${bucket}\0${key}`, list)
    return versionId
  }

  /** @param {string} bucket @param {string} key @returns {VersionRecord | undefined} */
  current(bucket, key) {
    return this.versions.get(`${bucket}\0${key}`)?.at(-1)
  }

  /** @param {string} bucket @param {string} key @param {string} versionId @returns {VersionRecord | undefined} */
  version(bucket, key, versionId) {
    return this.versions.get(`${bucket}\0${key}`)?.find(v => v.versionId === versionId)
  }

  /** @param {string} bucket */
  isVersioned(bucket) {
    return this.versioning.has(bucket)
  }

  /**
   * Where S3 keeps the object now: a restored copy whose expiry-date has passed is gone (S3 removes
   * it and the x-amz-restore header with it), so the object is archived, and unreadable, again.
   * @param {string} bucket @param {string} key @returns {StorageSpec | undefined}
   */
  storageOf(bucket, key) {
    const spec = this.storage.get(`${bucket}\0${key}`)
    const expiry = /expiry-date="([^"]+)"/.exec(spec?.restore ?? '')?.[1]
    if (!spec || !expiry || Date.parse(expiry) > Date.now()) return spec
    /** @type {StorageSpec} */
    const archived = { ...spec }
    delete archived.restore
    return archived
  }

  /**
   * The storage headers HEAD and GET carry; GET of an archived object not restored fails as S3's does.
   * @param {any} ctx @param {string} bucket @param {string} key
   */
  checkRead(ctx, bucket, key) {
    const spec = this.storageOf(bucket, key)
    if (!spec) return
    const tiered = spec.storageClass === 'INTELLIGENT_TIERING' && /ARCHIVE_ACCESS$/.test(spec.archiveStatus ?? '')
    const readable = !(ARCHIVED.has(spec.storageClass ?? '') || tiered) || /ongoing-request="false"/.test(spec.restore ?? '')
    if (ctx.method === 'GET' && !readable) {
      throw new S3Error('InvalidObjectState', "The operation is not valid for the object's storage class", {
        StorageClass: spec.storageClass,
        ...(tiered ? { AccessTier: spec.archiveStatus } : {})
      })
    }
  }

  /** @param {any} ctx @param {string} bucket @param {string} key */
  setReadHeaders(ctx, bucket, key) {
    const spec = this.storageOf(bucket, key)
    if (spec?.storageClass && spec.storageClass !== 'STANDARD') ctx.set('x-amz-storage-class', spec.storageClass)
    if (spec?.archiveStatus) ctx.set('x-amz-archive-status', spec.archiveStatus)
    if (spec?.restore) ctx.set('x-amz-restore', spec.restore)
  }

  /**
   * GET / HEAD of an earlier version, served from its hard link.
   * @param {any} ctx @param {any} store @param {string} bucket @param {string} key @param {VersionRecord} v
   */
  serveVersion(ctx, store, bucket, key, v) {
    const ifMatch = ctx.get('if-match')
    if (ifMatch && ifMatch !== '*' && ifMatch.replace(/"/g, '') !== v.etag.replace(/"/g, '')) {
      throw new S3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', { Condition: 'If-Match' })
    }
    for (const [name, value] of Object.entries(v.metadata)) ctx.set(name, String(value))
    ctx.set('ETag', JSON.stringify(v.etag.replace(/"/g, '')))
    ctx.set('Last-Modified', v.lastModified.toUTCString())
    ctx.set('x-amz-version-id', v.versionId)
    ctx.set('Accept-Ranges', 'bytes')
    ctx.status = 200
    ctx.length = v.size
    if (ctx.method === 'GET') ctx.body = fs.createReadStream(store.getResourcePath(bucket, key, `version-${v.versionId}`))
  }

  /** GetBucketVersioning / PutBucketVersioning. @param {any} ctx @param {string} bucket */
  async bucketVersioning(ctx, bucket) {
    if (ctx.method === 'PUT') {
      const body = await readText(ctx.req)
      const status = /<Status>\s*(Enabled|Suspended)\s*<\/Status>/.exec(body)?.[1]
      if (!status)
        throw new S3Error('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema.')
      this.setVersioning(bucket, /** @type {'Enabled' | 'Suspended'} */ (status))
      ctx.status = 200
      ctx.body = ''
      return
    }
    const status = this.versioning.get(bucket)
    ctx.type = 'application/xml'
    ctx.body =
      '<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      (status ? `<Status>${status}</Status>` : '') +
      '</VersioningConfiguration>'
  }
}

/** @param {NodeJS.ReadableStream} req @returns {Promise<string>} */
async function readText(req) {
  /** @type {Buffer[]} */
  const chunks = []
  for await (const chunk of req) chunks.push(Buffer.from(chunk))
  return Buffer.concat(chunks).toString('utf8')
}
