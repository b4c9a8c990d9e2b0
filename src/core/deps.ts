import type { CodeDeployClient } from '@aws-sdk/client-codedeploy'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from './clock.js'

export interface AwsClients {
  s3: S3Client
  codedeploy: CodeDeployClient
}

/** How a stage talks to the job log, without knowing about @actions/core. */
export interface Log {
  info(line: string): void
  warning(line: string): void
  /** An error annotation: `title` heads it on the run's page. */
  error(message: string, title: string): void
  group<T>(name: string, fn: () => Promise<T>): Promise<T>
  /** Lines folded under a title (many instances finishing at once). */
  block(title: string, lines: readonly string[]): void
}

/**
 * What every stage is given, in one shape: the services, time, the cancel signal, the deadline
 * and the log. A stage that needs less takes a `Pick` of it, so tests pass fakes for just that.
 */
export interface StageDeps {
  clients: AwsClients
  clock: Clock
  /** Aborts when the workflow is cancelled. */
  signal: AbortSignal
  /** Epoch ms by which all waiting ends: the start plus timeout-minutes. */
  deadline: number
  log: Log
}

/** The same log with `prefix` before each line, e.g. `[production] ` when several groups deploy. */
export function prefixedLog(log: Log, prefix: string): Log {
  if (!prefix) return log
  return {
    info: line => log.info(`${prefix}${line}`),
    warning: line => log.warning(`${prefix}${line}`),
    error: (message, title) => log.error(message, title),
    group: (name, fn) => log.group(name, fn),
    block: (title, lines) => log.block(title, lines)
  }
}
