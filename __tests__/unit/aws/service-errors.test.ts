/**
 * service-errors.ts: which AWS errors are worth retrying, which are throttling or a refusal, and
 * the ActionError the user reads: the permission to grant, configure-aws-credentials when there
 * are no credentials, otherwise the service's own words after what was being done.
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { isAccessDenied, isThrottling, isTransient, explainAwsError } from '../../../src/aws/service-errors.js'
import { ActionError } from '../../../src/core/errors.js'
import { awsError } from '../../helpers/codedeploy.js'

const networkError = (code: string): Error => Object.assign(new Error(`connect ${code} 127.0.0.1:443`), { code })

const THROTTLING = [
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'ProvisionedThroughputExceededException'
]

describe('isTransient', () => {
  test.each(THROTTLING)('throttling (%s)', name => {
    expect(isTransient(awsError(name, 400))).toBe(true)
  })

  test.each(['TimeoutError', 'RequestTimeout'])('a time-out (%s)', name => {
    expect(isTransient(awsError(name, 400))).toBe(true)
  })

  test.each([500, 502, 503, 504])('a %d from the service', status => {
    expect(isTransient(awsError('InternalFailure', status))).toBe(true)
  })

  test.each(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ENETUNREACH'])(
    'a connection that failed (%s)',
    code => {
      expect(isTransient(networkError(code))).toBe(true)
    }
  )

  test('not a client error, a refusal or another system error', () => {
    expect(isTransient(awsError('ValidationException', 400))).toBe(false)
    expect(isTransient(awsError('DeploymentGroupDoesNotExistException', 400))).toBe(false)
    expect(isTransient(awsError('AccessDeniedException', 403))).toBe(false)
    expect(isTransient(awsError('NoSuchKey', 404))).toBe(false)
    expect(isTransient(awsError('Whatever', 499))).toBe(false)
    expect(isTransient(networkError('EACCES'))).toBe(false)
    expect(isTransient(Object.assign(new Error('x'), { code: 503 }))).toBe(false)
  })

  test('not anything that is no object', () => {
    expect(isTransient(undefined)).toBe(false)
    expect(isTransient(null)).toBe(false)
    expect(isTransient('ThrottlingException')).toBe(false)
    expect(isTransient(503)).toBe(false)
  })
})

describe('isThrottling', () => {
  test.each(THROTTLING)('%s', name => {
    expect(isThrottling(awsError(name, 400))).toBe(true)
  })

  test('any 429', () => {
    expect(isThrottling(awsError('Unknown', 429))).toBe(true)
  })

  test('not other errors, 5xx included', () => {
    expect(isThrottling(awsError('InternalFailure', 503))).toBe(false)
    expect(isThrottling(awsError('ValidationException', 400))).toBe(false)
    expect(isThrottling(networkError('ECONNRESET'))).toBe(false)
    expect(isThrottling(undefined)).toBe(false)
    expect(isThrottling('SlowDown')).toBe(false)
  })
})

describe('isAccessDenied', () => {
  test.each(['AccessDeniedException', 'AccessDenied', 'UnauthorizedOperation'])('%s', name => {
    expect(isAccessDenied(awsError(name, 400))).toBe(true)
  })

  test("a bare 403, which the SDK names 'Unknown'", () => {
    expect(isAccessDenied(awsError('Unknown', 403))).toBe(true)
  })

  test('not other errors', () => {
    expect(isAccessDenied(awsError('NotFound', 404))).toBe(false)
    expect(isAccessDenied(awsError('ValidationException', 400))).toBe(false)
    expect(isAccessDenied(awsError('InvalidClientTokenId', 401))).toBe(false)
    expect(isAccessDenied(undefined)).toBe(false)
    expect(isAccessDenied('AccessDenied')).toBe(false)
  })
})

describe('explainAwsError', () => {
  const explain = (error: unknown): ActionError =>
    explainAwsError(error, 'uploading the bundle', 's3:PutObject', 'arn:aws:s3:::bundles/shop/*')

  test('an ActionError passes through unchanged', () => {
    const original = new ActionError('is empty.', { input: 's3-bucket', code: 'Mine' })
    expect(explain(original)).toBe(original)
  })

  test('AccessDenied names the permission and the resource, and keeps the error', () => {
    const error = awsError('AccessDenied', 403, 'Access Denied')
    const explained = explain(error)
    expect(explained).toBeInstanceOf(ActionError)
    expect(explained.message).toBe(
      "Access denied while uploading the bundle: the workflow's AWS identity may not call s3:PutObject on arn:aws:s3:::bundles/shop/*."
    )
    expect(explained.fix).toBe('allow s3:PutObject on arn:aws:s3:::bundles/shop/* in the IAM policy of the role the workflow assumes.')
    expect(explained.code).toBe('AccessDenied')
    expect(explained.cause).toBe(error)
    expect(explained.describe()).toBe(`${explained.message} Fix: ${explained.fix}`)
  })

  test("the service's name for the refusal is the code", () => {
    expect(
      explainAwsError(awsError('AccessDeniedException', 400), 'creating the deployment', 'codedeploy:CreateDeployment', 'shop').code
    ).toBe('AccessDeniedException')
    expect(explain(awsError('UnauthorizedOperation', 400)).code).toBe('UnauthorizedOperation')
  })

  test("a bare 403 named 'Unknown' gets the code AccessDenied", () => {
    const explained = explain(awsError('Unknown', 403, 'UnknownError'))
    expect(explained.code).toBe('AccessDenied')
    expect(explained.message).toMatch(
      /^Access denied while uploading the bundle: .* may not call s3:PutObject on arn:aws:s3:::bundles\/shop\/\*\.$/
    )
  })

  test('no credentials: names configure-aws-credentials and keeps what the SDK said', () => {
    const error = awsError('CredentialsProviderError', 400, 'Could not load credentials from any providers')
    const explained = explain(error)
    expect(explained.message).toBe(
      'No AWS credentials while uploading the bundle: CredentialsProviderError: Could not load credentials from any providers'
    )
    expect(explained.fix).toBe(
      'run aws-actions/configure-aws-credentials before this step (role-to-assume with id-token: write, or access keys).'
    )
    expect(explained.code).toBe('CredentialsProviderError')
    expect(explained.cause).toBe(error)
  })

  test('any error naming credentials is a credentials error, under its own name', () => {
    const explained = explain(awsError('InvalidCredentialsError', 400, 'The security token is malformed'))
    expect(explained.message).toBe(
      'No AWS credentials while uploading the bundle: InvalidCredentialsError: The security token is malformed'
    )
    expect(explained.fix).toContain('aws-actions/configure-aws-credentials')
    expect(explained.code).toBe('InvalidCredentialsError')
  })

  test("anything else: what was being done, then the service's words, coded by its name", () => {
    const error = awsError('ValidationException', 400, 'Bucket name is invalid')
    const explained = explain(error)
    expect(explained.message).toBe('uploading the bundle failed: ValidationException: Bucket name is invalid')
    expect(explained.fix).toBeUndefined()
    expect(explained.code).toBe('ValidationException')
    expect(explained.cause).toBe(error)
    expect(explained.describe()).toBe('uploading the bundle failed: ValidationException: Bucket name is invalid')
  })

  test("something thrown that is no Error: its text, code 'Error'", () => {
    const explained = explain('socket closed')
    expect(explained.message).toBe('uploading the bundle failed: socket closed')
    expect(explained.code).toBe('Error')
  })

  describe('a real S3 client against a server that refuses', () => {
    let server: http.Server
    let s3: S3Client
    beforeAll(async () => {
      // S3 answers a refused HEAD with 403 and no body, as this server does.
      server = http.createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          res.writeHead(403)
          res.end()
        })
      })
      await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
      const { port } = server.address() as AddressInfo
      s3 = new S3Client({
        region: 'us-east-1',
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        maxAttempts: 1,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }
      })
    })
    afterAll(async () => {
      s3.destroy()
      server.closeAllConnections()
      await new Promise<void>(resolve => server.close(() => resolve()))
    })

    test('a HEAD refused with a bare 403 is AccessDenied, naming the permission', async () => {
      const error: unknown = await s3.send(new HeadObjectCommand({ Bucket: 'bundles', Key: 'shop/abc.zip' })).then(
        () => undefined,
        (thrown: unknown) => thrown
      )
      expect(error).toBeDefined()
      expect(isAccessDenied(error)).toBe(true)
      expect(isTransient(error)).toBe(false)
      const explained = explainAwsError(error, 'checking for an earlier upload', 's3:GetObject', 'arn:aws:s3:::bundles/shop/abc.zip')
      expect(explained.code).toBe('AccessDenied')
      expect(explained.message).toBe(
        "Access denied while checking for an earlier upload: the workflow's AWS identity may not call s3:GetObject on arn:aws:s3:::bundles/shop/abc.zip."
      )
    })
  })
})
