/**
 * The one error type of the action: what went wrong, and what the user should do about it.
 * `input` names the action input at fault when there is one, so the message can point at it.
 */
export class ActionError extends Error {
  readonly input: string | undefined
  readonly fix: string | undefined
  readonly code: string | undefined

  constructor(message: string, options: { input?: string; fix?: string; code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'ActionError'
    this.input = options.input
    this.fix = options.fix
    this.code = options.code
  }

  /** The full text shown to the user: "Input 'x' is ... Fix: ...". */
  describe(): string {
    const predicate = /^(is|are|names|stayed|does|has)\b/.test(this.message)
    const head = this.input ? `Input '${this.input}'${predicate ? ' ' : ': '}${this.message}` : this.message
    return this.fix ? `${head} Fix: ${this.fix}` : head
  }
}

/** Error text for anything thrown, `Error` or not, never a bare "[object Object]". */
export function describeError(error: unknown): string {
  if (error instanceof ActionError) return error.describe()
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? `${error.name}: ` : ''
    return `${name}${error.message || '(no message)'}`
  }
  if (typeof error === 'string') return error
  try {
    return JSON.stringify(error) ?? String(error)
  } catch {
    return String(error)
  }
}

/** The AWS error name (`__type`), when the error came from an AWS service. */
export function awsErrorName(error: unknown): string | undefined {
  if (error && typeof error === 'object' && 'name' in error && typeof error.name === 'string') {
    return error.name
  }
  return undefined
}
