import type { CodeDeployClient } from '@aws-sdk/client-codedeploy'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../../src/core/clock.js'
import type { Log, StageDeps } from '../../src/core/deps.js'
import { FakeClock } from './clock.js'

/** A Log that keeps what a stage wrote: info lines, warnings, error annotations and folded blocks. */
export class LineLog implements Log {
  readonly lines: string[] = []
  readonly warnings: string[] = []
  readonly errors: Array<{ message: string; title: string }> = []
  readonly blocks: Array<{ title: string; lines: readonly string[] }> = []
  readonly groups: string[] = []

  info(line: string): void {
    this.lines.push(line)
  }

  warning(line: string): void {
    this.warnings.push(line)
  }

  error(message: string, title: string): void {
    this.errors.push({ message, title })
  }

  async group<T>(name: string, fn: () => Promise<T>): Promise<T> {
    this.groups.push(name)
    return fn()
  }

  block(title: string, lines: readonly string[]): void {
    this.blocks.push({ title, lines })
  }
}

/** A client a stage must not touch: any call fails the test, naming the service. */
function untouched<T>(service: string): T {
  const fail = (): never => {
    throw new Error(`the test gave no ${service} client, but the stage used one`)
  }
  return new Proxy({}, { get: fail }) as T
}

export interface DepsParts {
  codedeploy?: CodeDeployClient
  s3?: S3Client
  clock?: Clock
  signal?: AbortSignal
  deadline?: number
  log?: Log
}

/** StageDeps of fakes: a virtual clock, a signal that never aborts and no deadline unless given. */
export function fakeDeps(parts: DepsParts = {}): StageDeps {
  return {
    clients: { codedeploy: parts.codedeploy ?? untouched('CodeDeploy'), s3: parts.s3 ?? untouched('S3') },
    clock: parts.clock ?? new FakeClock(),
    signal: parts.signal ?? new AbortController().signal,
    deadline: parts.deadline ?? Infinity,
    log: parts.log ?? new LineLog()
  }
}
