/**
 * clients.ts: the S3 and CodeDeploy clients as built (region, attempts, user agent, path-style S3
 * only with a custom endpoint), and abortable().
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy'
import { jest } from '@jest/globals'
import { abortable, createClients, destroyClients, untilDeadline, CLIENT_TIMEOUTS, type ClientTimeouts } from '../../../src/aws/clients.js'
import type { AwsClients } from '../../../src/core/deps.js'

const built: AwsClients[] = []
function clients(region: string, env: NodeJS.ProcessEnv, timeouts?: ClientTimeouts): AwsClients {
  const made = createClients(region, env, timeouts)
  built.push(made)
  return made
}
afterEach(() => {
  for (const made of built.splice(0)) destroyClients(made)
})

/** Runs `fn` with these process.env variables set (or removed, for undefined), then restores them. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map(name => [name, process.env[name]]))
  const apply = (values: Record<string, string | undefined>): void => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
  apply(vars)
  try {
    return await fn()
  } finally {
    apply(saved)
  }
}

describe('createClients', () => {
  test('both clients in the region given', async () => {
    const { s3, codedeploy } = clients('eu-west-3', {})
    expect(await s3.config.region()).toBe('eu-west-3')
    expect(await codedeploy.config.region()).toBe('eu-west-3')
  })

  test('virtual-hosted S3 when no custom endpoint is set', () => {
    expect(clients('us-east-1', {}).s3.config.forcePathStyle).toBe(false)
    expect(clients('us-east-1', { AWS_ENDPOINT_URL_S3: '', AWS_ENDPOINT_URL: '' }).s3.config.forcePathStyle).toBe(false)
    expect(clients('us-east-1', { AWS_ENDPOINT_URL_CODEDEPLOY: 'http://127.0.0.1:4566' }).s3.config.forcePathStyle).toBe(false)
  })

  test('path-style S3 with AWS_ENDPOINT_URL_S3', () => {
    expect(clients('us-east-1', { AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569' }).s3.config.forcePathStyle).toBe(true)
  })

  test('path-style S3 with AWS_ENDPOINT_URL', () => {
    expect(clients('us-east-1', { AWS_ENDPOINT_URL: 'http://127.0.0.1:4566' }).s3.config.forcePathStyle).toBe(true)
  })

  test('the env given decides, not process.env', async () => {
    await withEnv({ AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:4569', AWS_ENDPOINT_URL: undefined }, async () => {
      expect(clients('us-east-1', {}).s3.config.forcePathStyle).toBe(false)
    })
  })

  test('S3 makes 5 attempts and CodeDeploy 3, whatever AWS_MAX_ATTEMPTS says', async () => {
    await withEnv({ AWS_MAX_ATTEMPTS: '9' }, async () => {
      const { s3, codedeploy } = clients('us-east-1', {})
      expect(await s3.config.maxAttempts()).toBe(5)
      expect(await codedeploy.config.maxAttempts()).toBe(3)
    })
  })

  test('every call has a connection, an idle and a total time limit (the SDK has none by default)', async () => {
    const { s3, codedeploy } = clients('us-east-1', {})
    const configOf = async (handler: unknown): Promise<Record<string, unknown>> =>
      (handler as { configProvider: Promise<Record<string, unknown>> }).configProvider
    expect(await configOf(s3.config.requestHandler)).toMatchObject({
      connectionTimeout: CLIENT_TIMEOUTS.connectMs,
      socketTimeout: CLIENT_TIMEOUTS.s3.idleMs,
      requestTimeout: CLIENT_TIMEOUTS.s3.totalMs,
      throwOnRequestTimeout: true
    })
    expect(await configOf(codedeploy.config.requestHandler)).toMatchObject({
      connectionTimeout: CLIENT_TIMEOUTS.connectMs,
      socketTimeout: CLIENT_TIMEOUTS.codedeploy.idleMs,
      requestTimeout: CLIENT_TIMEOUTS.codedeploy.totalMs,
      throwOnRequestTimeout: true
    })
    // An 8 MiB part at 0.5 Mbit/s takes about 135 s: the total limit must allow it.
    expect(CLIENT_TIMEOUTS.s3.totalMs).toBeGreaterThanOrEqual(((8 * 8 * 1.048576) / 0.5) * 1000)
    expect(CLIENT_TIMEOUTS.codedeploy.totalMs).toBeLessThanOrEqual(30_000)
  })

  test('both clients name the action in their user agent', () => {
    const { s3, codedeploy } = clients('us-east-1', {})
    expect(s3.config.customUserAgent).toEqual([['codedeploy-action', '1']])
    expect(codedeploy.config.customUserAgent).toEqual([['codedeploy-action', '1']])
  })

  describe('against a local endpoint', () => {
    interface Seen {
      method: string
      url: string
      host: string | undefined
      userAgent: string
    }
    let server: http.Server
    let url: string
    const seen: Seen[] = []
    let answer: (req: http.IncomingMessage, res: http.ServerResponse) => void = (_req, res) => res.end()

    beforeAll(async () => {
      server = http.createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          const agent = req.headers['x-amz-user-agent'] ?? req.headers['user-agent'] ?? ''
          seen.push({ method: req.method ?? '', url: req.url ?? '', host: req.headers.host, userAgent: String(agent) })
          answer(req, res)
        })
      })
      // A host name, not an IP address: the SDK sends an IP endpoint path-style whatever forcePathStyle says.
      await new Promise<void>(resolve => server.listen(0, 'localhost', resolve))
      url = `http://localhost:${(server.address() as AddressInfo).port}`
    })
    beforeEach(() => {
      seen.length = 0
    })
    afterAll(async () => {
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    })

    const credentials = {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined
    }

    test('with AWS_ENDPOINT_URL_S3 the bucket goes in the path, and the request names the action', async () => {
      answer = (_req, res) => {
        res.writeHead(200, { etag: '"abc"' })
        res.end()
      }
      const env = { ...credentials, AWS_ENDPOINT_URL_S3: url, AWS_ENDPOINT_URL: undefined }
      await withEnv(env, async () => {
        const { s3 } = clients('us-east-1', { AWS_ENDPOINT_URL_S3: url })
        await s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'shop/abc.zip', Body: 'zip bytes' }))
      })
      expect(seen).toHaveLength(1)
      expect(seen[0]?.method).toBe('PUT')
      expect(seen[0]?.url.split('?')[0]).toBe('/bundles/shop/abc.zip')
      // Virtual-hosted, the request would have gone to bundles.localhost.
      expect(seen[0]?.host).toBe(new URL(url).host)
      expect(seen[0]?.userAgent).toContain('codedeploy-action/1')
    })

    test('CodeDeploy gives up after 3 attempts at a failing service', async () => {
      answer = (_req, res) => {
        res.writeHead(503, { 'content-type': 'application/x-amz-json-1.1' })
        res.end(JSON.stringify({ __type: 'ServiceUnavailableException', message: 'down' }))
      }
      const env = { ...credentials, AWS_ENDPOINT_URL_CODEDEPLOY: url, AWS_ENDPOINT_URL: undefined }
      const failure = await withEnv(env, async () => {
        const { codedeploy } = clients('us-east-1', {})
        return codedeploy.send(new GetDeploymentCommand({ deploymentId: 'd-ABCDEF123' })).then(
          () => undefined,
          (error: unknown) => error
        )
      })
      expect(failure).toMatchObject({ $metadata: { httpStatusCode: 503, attempts: 3 } })
      expect(seen.map(request => request.method)).toEqual(['POST', 'POST', 'POST'])
    })

    test('a call that is never answered times out, and the SDK tries it again, for each attempt', async () => {
      answer = () => {}
      const env = { ...credentials, AWS_ENDPOINT_URL_CODEDEPLOY: url, AWS_ENDPOINT_URL: undefined }
      const started = Date.now()
      const failure = await withEnv(env, async () => {
        const { codedeploy } = clients('us-east-1', {}, { ...CLIENT_TIMEOUTS, codedeploy: { idleMs: 300, totalMs: 400 } })
        return codedeploy.send(new GetDeploymentCommand({ deploymentId: 'd-ABCDEF123' })).then(
          () => undefined,
          (error: unknown) => error
        )
      })
      expect(failure).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 3 } })
      expect(seen).toHaveLength(3)
      // Three attempts of at most 0.4 s each, plus the SDK's back-off between them.
      expect(Date.now() - started).toBeLessThan(5000)
    })

    test('an S3 request that stops hearing from the server times out too', async () => {
      answer = () => {}
      const env = { ...credentials, AWS_ENDPOINT_URL_S3: url, AWS_ENDPOINT_URL: undefined }
      const failure = await withEnv(env, async () => {
        const { s3 } = clients('us-east-1', { AWS_ENDPOINT_URL_S3: url }, { ...CLIENT_TIMEOUTS, s3: { idleMs: 300, totalMs: 60_000 } })
        return s3.send(new PutObjectCommand({ Bucket: 'bundles', Key: 'a.zip', Body: 'zip bytes' })).then(
          () => undefined,
          (error: unknown) => error
        )
      })
      expect(failure).toMatchObject({ name: 'TimeoutError', $metadata: { attempts: 5 } })
    }, 20_000)
  })
})

describe('abortable', () => {
  test('no signal: no options at all', () => {
    expect(abortable(undefined)).toStrictEqual({})
    expect(Object.keys(abortable(undefined))).toEqual([])
  })

  test('a signal: passed as abortSignal, the same object', () => {
    const controller = new AbortController()
    const options = abortable(controller.signal)
    expect(options.abortSignal).toBe(controller.signal)
    expect(Object.keys(options)).toEqual(['abortSignal'])
  })
})

describe('untilDeadline', () => {
  const clock = (now: number) => ({ now: () => now, sleep: async () => undefined })

  test('aborts when the deadline comes', async () => {
    const cancel = new AbortController()
    const { abortSignal } = untilDeadline({ signal: cancel.signal, clock: clock(1000), deadline: 1050 }, 0)
    expect(abortSignal.aborted).toBe(false)
    await new Promise(resolve => setTimeout(resolve, 120))
    expect(abortSignal.aborted).toBe(true)
  })

  test('aborts on a cancel', () => {
    const cancel = new AbortController()
    const { abortSignal } = untilDeadline({ signal: cancel.signal, clock: clock(0), deadline: 60_000 })
    cancel.abort()
    expect(abortSignal.aborted).toBe(true)
  })

  test('reads before the deadline share one signal and one timer, however many there are', () => {
    const cancel = new AbortController()
    const deps = { signal: cancel.signal, clock: clock(0), deadline: 3_600_000 }
    const timers = jest.spyOn(globalThis, 'setTimeout')
    const signals = new Set(Array.from({ length: 1000 }, () => untilDeadline(deps).abortSignal))
    const started = timers.mock.calls.length
    timers.mockRestore()
    expect(signals.size).toBe(1)
    expect(started).toBe(1)
    // Another deadline (a blue/green wait extends it) or another run's cancel signal gets its own.
    expect(untilDeadline({ ...deps, deadline: 7_200_000 }).abortSignal).not.toBe([...signals][0])
    expect(untilDeadline({ ...deps, signal: new AbortController().signal }).abortSignal).not.toBe([...signals][0])
    cancel.abort()
    expect([...signals][0]!.aborted).toBe(true)
  })

  test('past the deadline, a last call still gets floorMs', async () => {
    const cancel = new AbortController()
    const { abortSignal } = untilDeadline({ signal: cancel.signal, clock: clock(5000), deadline: 1000 }, 100)
    await new Promise(resolve => setTimeout(resolve, 30))
    expect(abortSignal.aborted).toBe(false)
    await new Promise(resolve => setTimeout(resolve, 150))
    expect(abortSignal.aborted).toBe(true)
  })
})
