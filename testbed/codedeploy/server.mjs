// @ts-check
// HTTP server speaking the AWS JSON 1.1 protocol of CodeDeploy:
//   POST /  X-Amz-Target: CodeDeploy_20141006.<Operation>  Content-Type: application/x-amz-json-1.1
//   200 + JSON body, or 4xx/5xx + {"__type": "<Exception>", "message": "..."} (and x-amzn-ErrorType).
import http from 'node:http'
import crypto from 'node:crypto'
import { ServiceError } from './errors.mjs'

const TARGET_PREFIX = 'CodeDeploy_20141006.'
const CONTENT_TYPE = 'application/x-amz-json-1.1'

/**
 * @typedef {{ operation: string, input: any, status: number, at: number, error?: string, fault?: string, closedAt?: number }} RequestRecord
 *   closedAt: for a stalled call, when the client gave up on it (closed the connection)
 * @typedef {Record<string, (input: any) => any>} Handlers
 */

/**
 * @param {{ handlers: Handlers, faults: import('./faults.mjs').Faults, requests: RequestRecord[], log?: ((line: string) => void) | undefined }} options
 * @returns {Promise<{ endpoint: string, close: () => Promise<void> }>}
 */
export async function startServer({ handlers, faults, requests, log }) {
  /** @type {Set<NodeJS.Timeout>} */
  const delays = new Set()

  /** @param {http.ServerResponse} res @param {RequestRecord} record @param {number} status @param {unknown} body @param {string} [errorType] */
  function send(res, record, status, body, errorType) {
    const text = JSON.stringify(body)
    record.status = status
    if (errorType) record.error = errorType
    /** @type {Record<string, string | number>} */
    const headers = { 'Content-Type': CONTENT_TYPE, 'Content-Length': Buffer.byteLength(text), 'x-amzn-RequestId': crypto.randomUUID() }
    if (errorType) headers['x-amzn-ErrorType'] = errorType
    res.writeHead(status, headers)
    res.end(text)
    log?.(
      `CodeDeploy ${record.operation} -> ${status}${errorType ? ` ${errorType}` : ''}${record.fault ? ` (injected ${record.fault})` : ''}`
    )
  }

  /** @param {http.ServerResponse} res @param {RequestRecord} record @param {number} status @param {string} type @param {string} message */
  const sendError = (res, record, status, type, message) => send(res, record, status, { __type: type, message }, type)

  /**
   * A half-open connection as the client sees it: the request was taken, and nothing more comes.
   * The socket stays open until the client gives up (or the server closes).
   * @param {http.IncomingMessage} req @param {RequestRecord} record
   */
  function stall(req, record) {
    log?.(`CodeDeploy ${record.operation} -> stalled (injected): no answer`)
    req.socket.once('close', () => {
      record.closedAt = Date.now()
    })
  }

  /** @param {http.IncomingMessage} req @param {http.ServerResponse} res */
  async function handle(req, res) {
    /** @type {Buffer[]} */
    const chunks = []
    for await (const chunk of req) chunks.push(/** @type {Buffer} */ (chunk))
    const target = String(req.headers['x-amz-target'] ?? '')
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : target
    /** @type {RequestRecord} */
    const record = { operation, input: undefined, status: 0, at: Date.now() }
    requests.push(record)
    let input
    try {
      const text = Buffer.concat(chunks).toString('utf8')
      input = text.trim() ? JSON.parse(text) : {}
      record.input = input
    } catch {
      return sendError(res, record, 400, 'SerializationException', 'Start of structure or map found where not expected.')
    }

    const fault = faults.takeApiFault(operation)
    if (fault) {
      record.fault = fault.kind
      if (fault.kind === 'reset') {
        log?.(`CodeDeploy ${operation} -> connection reset (injected)`)
        req.socket.destroy()
        return
      }
      if (fault.kind === 'stall' && !fault.handled) return stall(req, record)
      if (fault.kind === 'throttle') return sendError(res, record, 400, 'ThrottlingException', 'Rate exceeded')
      if (fault.kind === '5xx') {
        return fault.status === 503
          ? sendError(res, record, 503, 'ServiceUnavailableException', 'Service is unavailable, please try again later.')
          : sendError(
              res,
              record,
              fault.status ?? 500,
              'InternalFailure',
              'The request processing has failed because of an unknown error, exception or failure.'
            )
      }
      if (fault.kind === 'delay')
        await new Promise(resolve => {
          const t = setTimeout(() => {
            delays.delete(t)
            resolve(undefined)
          }, fault.delayMs ?? 1000)
          delays.add(t)
        })
      if (req.socket.destroyed) return
    }

    const handler =
      req.method === 'POST' && target.startsWith(TARGET_PREFIX) && Object.hasOwn(handlers, operation) ? handlers[operation] : undefined
    if (!handler)
      return sendError(res, record, 400, 'UnknownOperationException', `Unknown operation ${target || '(no X-Amz-Target header)'}`)
    if (!input || typeof input !== 'object' || Array.isArray(input))
      return sendError(res, record, 400, 'SerializationException', 'The request body must be a JSON object.')
    try {
      const output = await handler(input)
      if (fault?.kind === 'stall') {
        record.status = 200
        return stall(req, record)
      }
      if (fault?.kind === 'lost') {
        // Done on the server, but the answer never reaches the client.
        log?.(`CodeDeploy ${operation} -> handled, answer lost (injected)`)
        record.status = 200
        req.socket.destroy()
        return
      }
      send(res, record, 200, output)
    } catch (err) {
      if (err instanceof ServiceError) return sendError(res, record, err.status, err.type, err.message)
      log?.(`CodeDeploy ${operation} internal error: ${/** @type {Error} */ (err)?.stack ?? err}`)
      return sendError(res, record, 500, 'InternalFailure', `Testbed internal error: ${/** @type {Error} */ (err)?.message ?? err}`)
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(err => {
      log?.(`CodeDeploy request failed: ${err?.stack ?? err}`)
      if (!res.headersSent) res.destroy()
    })
  })
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(undefined))
  })
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    async close() {
      for (const t of delays) clearTimeout(t)
      delays.clear()
      server.closeAllConnections()
      await new Promise(resolve => server.close(() => resolve(undefined)))
    }
  }
}
