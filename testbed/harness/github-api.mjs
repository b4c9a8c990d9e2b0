// @ts-check
// A stand-in for the GitHub REST API's deployment endpoints, on 127.0.0.1, reached by the action
// through GITHUB_API_URL the way GitHub Enterprise Server users point it elsewhere.
import * as http from 'node:http'

/**
 * @typedef {{ method: string, path: string, authorization: string | undefined, body: any }} GithubRequest
 * @typedef {{ url: string, requests: GithubRequest[], failWith: number | undefined, stall: boolean, stop: () => Promise<void> }} GithubApi
 * `stall`: every request is taken (and recorded) and never answered, as a half-open connection does.
 */

/** @returns {Promise<GithubApi>} */
export async function startGithubApi() {
  /** @type {GithubRequest[]} */
  const requests = []
  let nextId = 1000
  /** @type {GithubApi} */
  const api = { url: '', requests, failWith: undefined, stall: false, stop: async () => undefined }

  const server = http.createServer((req, res) => {
    let raw = ''
    req.on('data', chunk => (raw += chunk))
    req.on('end', () => {
      const path = (req.url ?? '').split('?')[0] ?? ''
      /** @type {any} */
      let body
      try {
        body = raw ? JSON.parse(raw) : undefined
      } catch {
        body = raw
      }
      requests.push({ method: req.method ?? '', path, authorization: req.headers.authorization, body })
      /** @param {number} status @param {unknown} payload */
      const send = (status, payload) => {
        res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
        res.end(JSON.stringify(payload))
      }
      if (api.stall) return
      if (api.failWith)
        return send(api.failWith, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest' })
      if (req.method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/deployments$/.test(path)) {
        return send(201, { id: nextId++, sha: body?.ref, ref: body?.ref, environment: body?.environment, description: body?.description })
      }
      const status = /^\/repos\/[^/]+\/[^/]+\/deployments\/(\d+)\/statuses$/.exec(path)
      if (req.method === 'POST' && status) {
        return send(201, { id: nextId++, state: body?.state, deployment_id: Number(status[1]), log_url: body?.log_url })
      }
      send(404, { message: 'Not Found' })
    })
  })
  await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)))
  const address = /** @type {import('node:net').AddressInfo} */ (server.address())
  api.url = `http://127.0.0.1:${address.port}`
  api.stop = () =>
    new Promise(resolve => {
      server.closeAllConnections()
      server.close(() => resolve(undefined))
    })
  return api
}
