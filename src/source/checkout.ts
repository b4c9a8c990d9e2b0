import { execFile } from 'node:child_process'
import { ActionError } from '../core/errors.js'

/** git answers these from local files in milliseconds; a hung filesystem or git must not hold the step. */
const GIT_TIMEOUT_MS = 10_000

/** What git said about the checkout that holds source-dir. */
export type HeadCommit =
  | { kind: 'commit'; sha: string }
  /** source-dir is in no git repository (a tree from an artifact or a cache). */
  | { kind: 'no-repository' }
  /** git could not tell: not installed, timed out, or refused (e.g. "dubious ownership" in a container). */
  | { kind: 'unknown'; reason: string }

/** The commit checked out in the repository that holds `dir` (lowercase hex), as `git rev-parse HEAD` says. */
export async function headCommit(dir: string, signal?: AbortSignal): Promise<HeadCommit> {
  const answer = await git(dir, ['rev-parse', '--verify', '--quiet', 'HEAD'], signal)
  if (answer.ok) {
    const sha = answer.stdout.trim().toLowerCase()
    return /^[0-9a-f]{40}([0-9a-f]{24})?$/.test(sha)
      ? { kind: 'commit', sha }
      : { kind: 'unknown', reason: `git rev-parse HEAD printed '${sha}'` }
  }
  if (/not a git repository/i.test(answer.stderr)) return { kind: 'no-repository' }
  return { kind: 'unknown', reason: answer.reason }
}

/** Whether packaging may go on: a line for the log, or a warning when the checkout could not be read but is trusted. */
export interface CheckoutFinding {
  line: string
  warn: boolean
}

/**
 * A bundle goes to the key of `sha`, so source-dir must hold that commit: a redeploy of an older
 * commit whose bundle is missing must not upload today's tree under the old commit's name.
 *   - In a git checkout: HEAD must be `sha`, or the run is refused.
 *   - Not in a git repository (a tree from an artifact or a cache): nothing shows which commit it
 *     holds. When `sha` is the workflow's own commit (GITHUB_SHA), that is what a workflow
 *     builds, so it is trusted, as before; any other commit is refused.
 *   - git cannot tell (not installed, timed out, "dubious ownership" in a container): the same
 *     rule as no repository, with git's reason in a warning or in the refusal.
 */
export async function requireCheckoutOf(
  dir: string,
  sha: string,
  context: { workflowCommit: boolean; target: string },
  signal?: AbortSignal
): Promise<CheckoutFinding> {
  const head = await headCommit(dir, signal)
  const fix =
    `check out that commit before this step (actions/checkout with \`ref: ${sha}\`), or upload its bundle first ` +
    `(run the workflow for ${sha}, which packages and uploads it), then redeploy.`
  if (head.kind === 'commit') {
    if (head.sha === sha) return { line: `source-dir is a checkout of ${sha}.`, warn: false }
    throw new ActionError(
      `names ${sha}, but source-dir is a checkout of ${head.sha}: packaging it would put another commit's tree at ${context.target}.`,
      { input: 'sha', fix, code: 'WrongCheckout' }
    )
  }
  const why =
    head.kind === 'no-repository' ? 'source-dir is not in a git repository' : `git could not read source-dir's commit (${head.reason})`
  if (context.workflowCommit) {
    return { line: `${why}: trusting that it holds the workflow's commit ${sha}.`, warn: head.kind !== 'no-repository' }
  }
  throw new ActionError(
    `names ${sha}, another commit than the workflow's, and ${why}, so nothing shows that it holds that commit: ` +
      `its tree will not be packaged as ${context.target}.`,
    { input: 'sha', fix, code: 'WrongCheckout' }
  )
}

/** The committer date of `sha` in the repository that holds `dir`, or undefined when git cannot tell. */
export async function commitTime(dir: string, sha: string, signal?: AbortSignal): Promise<Date | undefined> {
  const answer = await git(dir, ['log', '-1', '--format=%ct', sha, '--'], signal)
  if (!answer.ok) return undefined
  const seconds = Number(answer.stdout.trim())
  return Number.isSafeInteger(seconds) && answer.stdout.trim() !== '' ? new Date(seconds * 1000) : undefined
}

type GitAnswer = { ok: true; stdout: string } | { ok: false; stderr: string; reason: string }

function git(dir: string, args: string[], signal: AbortSignal | undefined): Promise<GitAnswer> {
  return new Promise(resolve => {
    execFile(
      'git',
      ['-C', dir, ...args],
      // No pager, no prompt, no locale-dependent message: only plumbing output is read.
      {
        timeout: GIT_TIMEOUT_MS,
        killSignal: 'SIGKILL',
        maxBuffer: 1 << 20,
        ...(signal ? { signal } : {}),
        env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' }
      },
      (error, stdout, stderr) => {
        if (!error) return resolve({ ok: true, stdout })
        const e = error as NodeJS.ErrnoException & { killed?: boolean; code?: string | number }
        const reason =
          e.code === 'ENOENT'
            ? 'git is not installed on the runner'
            : e.killed
              ? `git did not answer within ${GIT_TIMEOUT_MS / 1000} s`
              : stderr.trim().split('\n')[0] || e.message
        resolve({ ok: false, stderr, reason })
      }
    )
  })
}
