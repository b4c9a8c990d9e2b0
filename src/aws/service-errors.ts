import { ActionError, awsErrorName, describeError } from '../core/errors.js'

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'RequestThrottled',
  'ProvisionedThroughputExceededException'
])
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED', 'ENETUNREACH'])

function httpStatus(error: unknown): number | undefined {
  const meta = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata
  return meta?.httpStatusCode
}

/** Worth trying again later: throttling, a 5xx, or a connection that failed or dropped. */
export function isTransient(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false
  const name = awsErrorName(error) ?? ''
  if (THROTTLING.has(name) || name === 'TimeoutError' || name === 'RequestTimeout') return true
  const status = httpStatus(error)
  if (status !== undefined && status >= 500) return true
  const code = (error as { code?: unknown }).code
  return typeof code === 'string' && NETWORK_CODES.has(code)
}

export function isThrottling(error: unknown): boolean {
  return THROTTLING.has(awsErrorName(error) ?? '') || httpStatus(error) === 429
}

export function isAccessDenied(error: unknown): boolean {
  const name = awsErrorName(error) ?? ''
  // S3 answers a refused HEAD with a bare 403, which the SDK can only call 'Unknown'.
  return name === 'AccessDeniedException' || name === 'AccessDenied' || name === 'UnauthorizedOperation' || httpStatus(error) === 403
}

/**
 * An AWS error as the user should read it: AccessDenied names the permission to grant;
 * anything else keeps the service's own words, prefixed by what was being done.
 */
export function explainAwsError(error: unknown, doing: string, permission: string, resource: string): ActionError {
  if (error instanceof ActionError) return error
  const name = awsErrorName(error)
  if (isAccessDenied(error)) {
    return new ActionError(`Access denied while ${doing}: the workflow's AWS identity may not call ${permission} on ${resource}.`, {
      fix: `allow ${permission} on ${resource} in the IAM policy of the role the workflow assumes.`,
      // A bare 403 (S3's answer to a refused HEAD) reaches the SDK nameless, as 'Unknown'.
      code: name && name !== 'Unknown' ? name : 'AccessDenied',
      cause: error
    })
  }
  if (name === 'CredentialsProviderError' || /credential/i.test(name ?? '')) {
    return new ActionError(`No AWS credentials while ${doing}: ${describeError(error)}`, {
      fix: 'run aws-actions/configure-aws-credentials before this step (role-to-assume with id-token: write, or access keys).',
      code: name ?? 'CredentialsProviderError',
      cause: error
    })
  }
  return new ActionError(`${doing} failed: ${describeError(error)}`, { code: name ?? 'Error', cause: error })
}
