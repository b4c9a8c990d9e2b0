import { CodeDeployClient } from '@aws-sdk/client-codedeploy'
import { S3Client } from '@aws-sdk/client-s3'
import { setMaxListeners } from 'node:events'
import type { AwsClients, StageDeps } from '../core/deps.js'

const USER_AGENT: [string, string] = ['codedeploy-action', '1']

/** How long one attempt of a call may take: `idleMs` without a byte either way, `totalMs` in all. */
export interface CallTimeouts {
  idleMs: number
  totalMs: number
}

export interface ClientTimeouts {
  /** To open the TCP connection. */
  connectMs: number
  s3: CallTimeouts
  codedeploy: CallTimeouts
}

/**
 * The SDK waits forever by default: a half-open connection would hold the step until the job's
 * 6-hour limit. A stall is caught by the idle limit; the total limit stops a trickle. S3's total
 * allows an 8 MiB part (or a 16 MiB single upload) over a link of about 0.5 Mbit/s; CodeDeploy
 * answers in well under a second, so 20 s is already a failure. A timed-out attempt is a
 * TimeoutError, which the SDK's retry strategy tries again (CreateDeployment's own code handles
 * a lost answer: see deploy/create-deployment.ts).
 */
export const CLIENT_TIMEOUTS: ClientTimeouts = {
  connectMs: 5000,
  s3: { idleMs: 30_000, totalMs: 300_000 },
  codedeploy: { idleMs: 15_000, totalMs: 20_000 }
}

function requestHandler(connectMs: number, call: CallTimeouts) {
  // socketTimeout is the idle limit; requestTimeout only warns unless throwOnRequestTimeout is set.
  return { connectionTimeout: connectMs, socketTimeout: call.idleMs, requestTimeout: call.totalMs, throwOnRequestTimeout: true }
}

/**
 * Clients built from the SDK's default credential chain. Endpoints come from the standard
 * AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables, read by the SDK itself; with a custom
 * S3 endpoint the bucket goes in the path, as S3-compatible servers expect.
 */
export function createClients(region: string, env: NodeJS.ProcessEnv, timeouts: ClientTimeouts = CLIENT_TIMEOUTS): AwsClients {
  const customS3Endpoint = Boolean(env['AWS_ENDPOINT_URL_S3'] || env['AWS_ENDPOINT_URL'])
  return {
    s3: new S3Client({
      region,
      forcePathStyle: customS3Endpoint,
      maxAttempts: 5,
      customUserAgent: [USER_AGENT],
      requestHandler: requestHandler(timeouts.connectMs, timeouts.s3)
    }),
    // Few SDK attempts: the watch retries on its own schedule, with the deadline in view.
    codedeploy: new CodeDeployClient({
      region,
      maxAttempts: 3,
      customUserAgent: [USER_AGENT],
      requestHandler: requestHandler(timeouts.connectMs, timeouts.codedeploy)
    })
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

/** A last look after the time-out (where does the deployment stand?) still gets this long. */
export const LAST_LOOK_MS = 10_000

/**
 * Per-request options for a read that must end by the deadline: aborted by a cancel, or when the
 * deadline comes (a read started after it, a last look at where things stand, gets `floorMs`).
 * The SDK's retries stop with it: an aborted attempt is not tried again. Every read before the
 * deadline shares one signal (and one timer) per cancel signal and deadline: a signal per read
 * kept a timer alive until the deadline for each of the thousands of polls and instance reads
 * of a long watch.
 */
export function untilDeadline(
  deps: Pick<StageDeps, 'signal' | 'clock' | 'deadline'>,
  floorMs = LAST_LOOK_MS
): { abortSignal: AbortSignal } {
  const left = deps.deadline - deps.clock.now()
  if (left <= 0) return { abortSignal: AbortSignal.any([deps.signal, timeLimit(floorMs)]) }
  let byDeadline = deadlineSignals.get(deps.signal)
  if (!byDeadline) deadlineSignals.set(deps.signal, (byDeadline = new Map()))
  let shared = byDeadline.get(deps.deadline)
  if (!shared) {
    shared = AbortSignal.any([deps.signal, timeLimit(left)])
    // One listener per request in flight (the SDK removes each when its request closes).
    setMaxListeners(0, shared)
    byDeadline.set(deps.deadline, shared)
  }
  return { abortSignal: shared }
}

/** The shared deadline signals, by cancel signal, then by deadline (it moves rarely: a blue/green wait extends it once). */
const deadlineSignals = new WeakMap<AbortSignal, Map<number, AbortSignal>>()

/**
 * A signal that aborts after `ms` (no deadline at all, Infinity, never does). Not
 * AbortSignal.timeout: its timer holds the signal weakly, and inside AbortSignal.any() nothing
 * else does, so it can be collected and never fire (seen on Node 20: a stalled upload outlived its deadline).
 */
export function timeLimit(ms: number): AbortSignal {
  const limit = new AbortController()
  // Timers take at most 2^31 - 1 ms (about 24 days); anything longer is no limit in practice.
  if (Number.isFinite(ms) && ms < MAX_TIMER_MS) {
    const reason = new DOMException('the time limit was reached', 'TimeoutError')
    setTimeout(() => limit.abort(reason), Math.max(0, Math.ceil(ms))).unref()
  }
  return limit.signal
}

const MAX_TIMER_MS = 2 ** 31 - 1
