/**
 * clients.ts: the S3 and CodeDeploy clients as built (region, attempts, user agent, path-style S3
 * only with a custom endpoint), and abortable().
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { GetDeploymentCommand } from '@aws-sdk/client-codedeploy'
import { abortable, createClients, destroyClients } from '../../../src/aws/clients.js'
import type { AwsClients } from '../../../src/core/deps.js'

const built: AwsClients[] = []
function clients(region: string, env: NodeJS.ProcessEnv): AwsClients {
  const made = createClients(region, env)
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
