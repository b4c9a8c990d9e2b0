import { getOctokit } from '@actions/github'
import type { StageDeps } from '../core/deps.js'
import { describeError } from '../core/errors.js'
import { timeLimit } from '../aws/clients.js'

export type GithubDeploymentState = 'in_progress' | 'success' | 'failure' | 'error'

export interface GithubDeploymentOptions {
  token: string
  /** owner/name */
  repository: string
  environment: string
  sha: string
  description: string
  /** production_environment; default: the environment is named production (GitHub's own default). */
  production?: boolean | undefined
  /** environment_url of every status: where the deployed app answers. */
  environmentUrl?: string | undefined
  /** GITHUB_SERVER_URL: where the environment's page is. Default https://github.com. */
  serverUrl?: string | undefined
  /** How long one call to GitHub may take; default GITHUB_CALL_MS. */
  callLimitMs?: number
}

/**
 * One call to GitHub's API, at most: bookkeeping must not hold a deploy. Without a limit, a
 * request GitHub takes and never answers waits for Node's fetch (5 minutes for the headers),
 * at each of the three calls.
 */
export const GITHUB_CALL_MS = 10_000
/** After a cancel the last status must fit in the 7.5 s the runner leaves the step before it kills it. */
const CANCELLED_CALL_MS = 4_000

/**
 * A GitHub deployment recording this CodeDeploy deployment in a GitHub environment, so the
 * repository's Environments page shows what runs where, with the CodeDeploy console as its log.
 * Bookkeeping only: a failure here is reported as a warning, never fails the deployment.
 */
export class GithubDeployment {
  private constructor(
    private readonly octokit: ReturnType<typeof getOctokit>,
    private readonly owner: string,
    private readonly repo: string,
    readonly id: number,
    private readonly environment: string,
    private readonly warn: (line: string) => void,
    private readonly environmentUrl: string | undefined,
    /** The environment's deployment history on GitHub, where this deployment is listed. */
    readonly url: string,
    private readonly limits: CallLimits
  ) {}

  static async create(options: GithubDeploymentOptions, deps: Pick<StageDeps, 'log' | 'signal'>): Promise<GithubDeployment | undefined> {
    const warn = (line: string): void => deps.log.warning(line)
    const limits = new CallLimits(options.callLimitMs ?? GITHUB_CALL_MS, deps.signal)
    const [owner, repo, ...more] = options.repository.split('/')
    if (!owner || !repo || more.length > 0) {
      warn(`github-environment: GITHUB_REPOSITORY ('${options.repository}') is not owner/name; no GitHub deployment recorded.`)
      return undefined
    }
    const octokit = getOctokit(options.token)
    try {
      const created = await limits.run(true, signal =>
        octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: options.sha,
          environment: options.environment,
          description: options.description,
          auto_merge: false,
          // The workflow already gates on its own checks; CodeDeploy is what deploys.
          required_contexts: [],
          // Not guessed from the name ("preprod" is not production): the input says, or the name is exactly production.
          production_environment: options.production ?? options.environment.toLowerCase() === 'production',
          request: { signal }
        })
      )
      const id = (created.data as { id?: number }).id
      if (typeof id !== 'number') {
        warn(`github-environment: GitHub did not create a deployment (${JSON.stringify(created.data).slice(0, 200)}).`)
        return undefined
      }
      const page = `${options.serverUrl ?? 'https://github.com'}/${owner}/${repo}/deployments/${encodeURIComponent(options.environment)}`
      return new GithubDeployment(octokit, owner, repo, id, options.environment, warn, options.environmentUrl, page, limits)
    } catch (error) {
      warn(`github-environment: could not record a GitHub deployment for '${options.environment}': ${explain(error, options.repository)}`)
      return undefined
    }
  }

  /** The last status (any but in_progress) is written after a cancel too: only the time limit ends it. */
  async setStatus(state: GithubDeploymentState, description: string, logUrl: string | undefined): Promise<void> {
    try {
      await this.limits.run(state === 'in_progress', signal =>
        this.octokit.rest.repos.createDeploymentStatus({
          owner: this.owner,
          repo: this.repo,
          deployment_id: this.id,
          state,
          environment: this.environment,
          description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
          ...(logUrl ? { log_url: logUrl } : {}),
          ...(this.environmentUrl ? { environment_url: this.environmentUrl } : {}),
          auto_inactive: true,
          request: { signal }
        })
      )
    } catch (error) {
      this.warn(
        `github-environment: could not set the GitHub deployment's status to ${state}: ${explain(error, `${this.owner}/${this.repo}`)}`
      )
    }
  }
}

/** Each call to GitHub: its own time limit, and the cancel when `cancellable` (the last status is written after a cancel too). */
class CallLimits {
  constructor(
    private readonly ms: number,
    private readonly cancel: AbortSignal
  ) {}

  async run<T>(cancellable: boolean, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ms = this.cancel.aborted ? Math.min(this.ms, CANCELLED_CALL_MS) : this.ms
    const limit = timeLimit(ms)
    try {
      return await call(cancellable ? AbortSignal.any([this.cancel, limit]) : limit)
    } catch (error) {
      if (limit.aborted) throw new Error(`GitHub did not answer within ${ms / 1000} s`, { cause: error })
      throw error
    }
  }
}

function explain(error: unknown, repository: string): string {
  const status = (error as { status?: number }).status
  if (status === 403 || status === 401)
    return `${describeError(error)}. Fix: give the job \`permissions: deployments: write\` (or pass a github-token that has it).`
  // GitHub answers 404, not 403, for a repository the token cannot see.
  if (status === 404)
    return (
      `${describeError(error)}. GitHub says so when the token cannot see ${repository}: ` +
      'pass a github-token that may read and deploy to it (the workflow token covers only its own repository).'
    )
  return describeError(error)
}
