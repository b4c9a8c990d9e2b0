import { CodeDeployClient } from '@aws-sdk/client-codedeploy'
import { S3Client } from '@aws-sdk/client-s3'
import type { AwsClients } from '../core/deps.js'

const USER_AGENT: [string, string] = ['codedeploy-action', '1']

/**
 * Clients built from the SDK's default credential chain. Endpoints come from the standard
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, read by the SDK itself; with a custom
 * S3 endpoint the bucket goes in the path, as S3-compatible servers expect.
 */
export function createClients(region: string, env: NodeJS.ProcessEnv): AwsClients {
  const customS3Endpoint = Boolean(env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'])
  return {
    s3: new S3Client({ region, forcePathStyle: customS3Endpoint, maxAttempts: 5, customUserAgent: [USER_AGENT] }),
    // Few SDK attempts: the watch retries on its own schedule, with the deadline in view.
    codedeploy: new CodeDeployClient({ region, maxAttempts: 3, customUserAgent: [USER_AGENT] })
  }
}

export function destroyClients(clients: AwsClients): void {
  clients.s3.destroy()
  clients.codedeploy.destroy()
}

/** Per-request options carrying the cancel signal, when there is one. */
export function abortable(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {}
}
