// @ts-check
// Faults on demand for the local S3, and a record of what it was asked: a Koa middleware placed
// in front of everything else s3rver runs, so an injected fault never reaches the store.
//   5xx:   the body is read, then 500 InternalError (503 SlowDown with status: 503), as S3 does
//          when it fails after receiving a request;
//   reset: the connection is destroyed part-way through the request body (a dropped connection
//          in the middle of an upload), nothing is answered;
//   slow:  the request waits delayMs, then is served normally (unless the client gave up);
//   stall: the body is read, then nothing: no answer and no close (a half-open connection), until
//          the client gives up; nothing reaches the store.
import fsp from 'node:fs/promises'
import path from 'node:path'
import { createRequire } from 'node:module'
import { PassThrough } from 'node:stream'

const require = createRequire(import.meta.url)
const S3Error = /** @type {any} */ (require('s3rver/lib/models/error'))

/** Bytes of a request body read before an injected reset cuts the connection. */
const RESET_AFTER_BYTES = 64 * 1024

/**
 * @typedef {'5xx' | 'reset' | 'slow' | 'stall'} S3FaultKind
 *
 * @typedef {object} S3FaultSpec
 * @property {string} operation e.g. 'UploadPart', 'PutObject', 'CompleteMultipartUpload', 'HeadObject', or '*' for any
 * @property {S3FaultKind} kind
 * @property {number} [count] how many matching requests are affected (default 1)
 * @property {number} [status] for '5xx': 500 (default) or 503
 * @property {number} [delayMs] for 'slow' (default 1000)
 *
 * @typedef {object} S3RequestRecord
 * @property {string} operation the S3 API operation, e.g. 'UploadPart' (see operationOf)
 * @property {string} method
 * @property {string} path the raw request path, e.g. /bucket/prefix/key.zip
 * @property {Record<string, string>} query
 * @property {string} bucket
 * @property {string} key
 * @property {string} userAgent
 * @property {number} status the HTTP status answered; 0: no answer (connection reset, or the client went away)
 * @property {string} [error] the S3 error code answered
 * @property {S3FaultKind} [fault] the fault injected into this request
 * @property {number} at epoch ms when the request arrived
 * @property {number} [doneAt] epoch ms when its answer was sent or its connection closed
 *
 * @typedef {object} MultipartUploadInProgress
 * @property {string} uploadId
 * @property {string | null} key null: parts left behind by an aborted upload
 * @property {number} parts parts stored so far
 */

/**
 * The S3 operation a path-style request stands for.
 * @param {string} method @param {string} bucket @param {string} key @param {Record<string, unknown>} query @param {boolean} copy
 * @returns {string}
 */
export function operationOf(method, bucket, key, query, copy) {
  const has = (/** @type {string} */ name) => query[name] !== undefined
  if (!bucket) return method === 'GET' ? 'ListBuckets' : `${method} /`
  if (!key) {
    if (has('versioning')) return method === 'PUT' ? 'PutBucketVersioning' : 'GetBucketVersioning'
    if (method === 'PUT') return 'CreateBucket'
    if (method === 'HEAD') return 'HeadBucket'
    if (method === 'DELETE') return 'DeleteBucket'
    if (method === 'POST' && has('delete')) return 'DeleteObjects'
    if (method === 'GET' && has('uploads')) return 'ListMultipartUploads'
    return method === 'GET' ? 'ListObjects' : `${method} bucket`
  }
  if (method === 'PUT' && has('uploadId')) return copy ? 'UploadPartCopy' : 'UploadPart'
  if (method === 'PUT' && has('tagging')) return 'PutObjectTagging'
  if (method === 'PUT') return copy ? 'CopyObject' : 'PutObject'
  if (method === 'POST' && has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'DELETE' && has('uploadId')) return 'AbortMultipartUpload'
  if (method === 'DELETE') return 'DeleteObject'
  if (method === 'GET' && has('uploadId')) return 'ListParts'
  if (method === 'HEAD') return 'HeadObject'
  return method === 'GET' ? 'GetObject' : `${method} object`
}

export class S3Faults {
  /**
   * @param {any} store the s3rver store (to list multipart uploads in progress)
   * @param {((line: string) => void) | undefined} log
   */
  constructor(store, log) {
    this.store = store
    this.log = log
    /** @type {S3FaultSpec[]} */
    this.faults = []
    /** @type {S3RequestRecord[]} every request received, in order */
    this.requests = []
    /** @type {Set<() => void>} 'slow' requests waiting, released at shutdown */
    this.waiting = new Set()
    /** Requests still being handled, and who waits for there to be none. */
    this.inFlight = 0
    /** @type {Array<() => void>} */
    this.idleWaiters = []
  }

  /** Resolves once no request is being handled (a cancelled upload has had its last word). */
  idle() {
    if (this.inFlight === 0) return Promise.resolve()
    return new Promise(resolve => this.idleWaiters.push(() => resolve(undefined)))
  }

  /** @param {S3FaultSpec} spec */
  injectFault(spec) {
    if (!['5xx', 'reset', 'slow', 'stall'].includes(spec.kind)) throw new Error(`testbed: unknown S3 fault kind ${spec.kind}`)
    if (!spec.operation) throw new Error('testbed: injectFault needs an operation (or "*")')
    this.faults.push({ ...spec, count: spec.count ?? 1 })
  }

  /** Drops the faults not used yet. */
  clearFaults() {
    this.faults = []
  }

  /** @param {string} operation @returns {S3FaultSpec | null} */
  take(operation) {
    const i = this.faults.findIndex(f => f.operation === '*' || f.operation === operation)
    if (i < 0) return null
    const fault = /** @type {S3FaultSpec} */ (this.faults[i])
    fault.count = (fault.count ?? 1) - 1
    if (fault.count <= 0) this.faults.splice(i, 1)
    return fault
  }

  /**
   * Multipart uploads created and neither completed nor aborted: what S3 keeps (and bills) until
   * they are aborted. `key: null` marks parts stored after their upload was aborted (a part that
   * was still in flight when AbortMultipartUpload came): S3 keeps those too.
   * @param {string} bucket
   * @returns {Promise<MultipartUploadInProgress[]>}
   */
  async listMultipartUploads(bucket) {
    const dir = this.store.getResourcePath(bucket, undefined, 'uploads')
    const ids = await fsp.readdir(dir).catch(() => /** @type {string[]} */ ([]))
    /** @type {MultipartUploadInProgress[]} */
    const uploads = []
    for (const uploadId of ids.sort()) {
      const files = await fsp.readdir(path.join(dir, uploadId)).catch(() => /** @type {string[]} */ ([]))
      const parts = files.filter(f => /^\d+$/.test(f)).length
      const key = await fsp.readFile(path.join(dir, uploadId, 'key'), 'utf8').catch(() => null)
      if (key !== null || parts > 0) uploads.push({ uploadId, key, parts })
    }
    return uploads
  }

  /** Lets every 'slow' request go, so the server can close. */
  close() {
    for (const release of this.waiting) release()
    this.waiting.clear()
  }

  /** The Koa middleware; put it first. */
  middleware() {
    /** @param {any} ctx @param {() => Promise<void>} next */
    return async (ctx, next) => {
      this.inFlight++
      try {
        await this.handle(ctx, next)
      } finally {
        if (--this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake()
      }
    }
  }

  /** @param {any} ctx @param {() => Promise<void>} next */
  async handle(ctx, next) {
    const parts = String(ctx.path).split('/').slice(1)
    const bucket = decodeURIComponent(parts[0] ?? '')
    const key = decodeURIComponent(parts.slice(1).join('/'))
    /** @type {Record<string, string>} */
    const query = { ...ctx.query }
    const operation = operationOf(ctx.method, bucket, key, query, Boolean(ctx.get('x-amz-copy-source')))
    /** @type {S3RequestRecord} */
    const record = {
      operation,
      method: ctx.method,
      path: ctx.path,
      query,
      bucket,
      key,
      userAgent: ctx.get('user-agent'),
      status: 0,
      at: Date.now()
    }
    this.requests.push(record)
    ctx.res.once('close', () => {
      record.doneAt = Date.now()
    })

    const fault = this.take(operation)
    if (fault) {
      record.fault = fault.kind
      this.log?.(`S3 ${operation} ${ctx.path}: injected ${fault.kind}`)
      if (fault.kind === 'reset') return this.reset(ctx)
      if (fault.kind === 'stall') return stall(ctx)
      if (fault.kind === '5xx') {
        await drain(ctx.req)
        record.status = fault.status === 503 ? 503 : 500
        record.error = fault.status === 503 ? 'SlowDown' : 'InternalError'
        throw fault.status === 503
          ? new S3Error('SlowDown', 'Please reduce your request rate.')
          : new S3Error('InternalError', 'We encountered an internal error. Please try again.')
      }
      if (!(await this.hold(ctx, fault.delayMs ?? 1000))) {
        // The client gave up while the request waited: nothing of it may reach the store.
        ctx.respond = false
        return
      }
    }
    try {
      await next()
      record.status = ctx.status
    } catch (err) {
      const e = /** @type {any} */ (err)
      record.status = typeof e?.status === 'number' ? e.status : 500
      if (e?.code) record.error = String(e.code)
      throw err
    }
  }

  /** Reads a little of the body (so the cut lands mid-upload), then drops the connection. @param {any} ctx */
  async reset(ctx) {
    ctx.respond = false
    const req = /** @type {import('node:http').IncomingMessage} */ (ctx.req)
    const expected = Number(req.headers['content-length'] ?? 0)
    if (expected > 0) {
      await new Promise(resolve => {
        let seen = 0
        const onData = (/** @type {Buffer} */ chunk) => {
          seen += chunk.length
          if (seen >= Math.min(RESET_AFTER_BYTES, expected)) done()
        }
        const done = () => {
          req.off('data', onData)
          req.pause()
          resolve(undefined)
        }
        req.on('data', onData)
        req.once('end', done)
        req.once('error', done)
      })
    }
    req.socket.destroy()
  }

  /**
   * Holds the request `ms`, taking in its body meanwhile: only a socket that is read notices the
   * client leaving. Then hands s3rver the body (what came, and the rest as it comes), or returns
   * false at once if the client went away.
   * @param {any} ctx @param {number} ms @returns {Promise<boolean>}
   */
  async hold(ctx, ms) {
    const req = /** @type {import('node:http').IncomingMessage} */ (ctx.req)
    /** @type {Buffer[]} */
    const chunks = []
    let gone = false
    await new Promise(resolve => {
      const onData = (/** @type {Buffer} */ chunk) => chunks.push(chunk)
      const leave = () => {
        gone = true
        release()
      }
      const release = () => {
        clearTimeout(timer)
        req.pause()
        req.off('data', onData)
        req.off('aborted', leave)
        req.off('error', leave)
        req.socket.off('close', leave)
        this.waiting.delete(release)
        resolve(undefined)
      }
      const timer = setTimeout(release, ms)
      req.on('data', onData)
      req.once('aborted', leave)
      req.once('error', leave)
      req.socket.once('close', leave)
      this.waiting.add(release)
    })
    if (gone) return false
    // s3rver reads the body from ctx.req (and s3-fixes its headers), so the stand-in carries both.
    const body = Object.assign(new PassThrough(), { headers: req.headers, socket: req.socket })
    for (const chunk of chunks) body.write(chunk)
    if (req.readableEnded) body.end()
    else req.pipe(body)
    req.once('error', err => body.destroy(err))
    ctx.req = body
    return true
  }
}

/** @param {import('node:http').IncomingMessage} req */
function drain(req) {
  if (req.complete || req.readableEnded) return Promise.resolve()
  return new Promise(resolve => {
    req.once('end', resolve)
    req.once('error', resolve)
    req.once('close', resolve)
    req.resume()
  })
}

/** Takes the request in and never answers: the connection stays open until the client closes it. @param {any} ctx */
async function stall(ctx) {
  ctx.respond = false
  await drain(ctx.req)
}
