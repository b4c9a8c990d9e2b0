import { getOctokit } from '@actions/github'
import type { StageDeps } from '../core/deps.js'
import { describeError } from '../core/errors.js'

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
}

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
    readonly url: string
  ) {}

  static async create(options: GithubDeploymentOptions, deps: Pick<StageDeps, 'log'>): Promise<GithubDeployment | undefined> {
    const warn = (line: string): void => deps.log.warning(line)
    const [owner, repo] = options.repository.split('/')
    if (!owner || !repo) {
      warn(`github-environment: GITHUB_REPOSITORY ('${options.repository}') is not owner/name; no GitHub deployment recorded.`)
      return undefined
    }
    const octokit = getOctokit(options.token)
    try {
      const created = await octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: options.sha,
        environment: options.environment,
        description: options.description,
        auto_merge: false,
        // The workflow already gates on its own checks; CodeDeploy is what deploys.
        required_contexts: [],
        // Not guessed from the name ("preprod" is not production): the input says, or the name is exactly production.
        production_environment: options.production ?? options.environment.toLowerCase() === 'production'
      })
      const id = (created.data as { id?: number }).id
      if (typeof id !== 'number') {
        warn(`github-environment: GitHub did not create a deployment (${JSON.stringify(created.data).slice(0, 200)}).`)
        return undefined
      }
      const page = `${options.serverUrl ?? 'https://github.com'}/${owner}/${repo}/deployments/${encodeURIComponent(options.environment)}`
      return new GithubDeployment(octokit, owner, repo, id, options.environment, warn, options.environmentUrl, page)
    } catch (error) {
      warn(`github-environment: could not record a GitHub deployment for '${options.environment}': ${explain(error)}`)
      return undefined
    }
  }

  async setStatus(state: GithubDeploymentState, description: string, logUrl: string | undefined): Promise<void> {
    try {
      await this.octokit.rest.repos.createDeploymentStatus({
        owner: this.owner,
        repo: this.repo,
        deployment_id: this.id,
        state,
        environment: this.environment,
        description: description.length > 140 ? `${description.slice(0, 139)}…` : description,
        ...(logUrl ? { log_url: logUrl } : {}),
        ...(this.environmentUrl ? { environment_url: this.environmentUrl } : {}),
        auto_inactive: true
      })
    } catch (error) {
      this.warn(`github-environment: could not set the GitHub deployment's status to ${state}: ${explain(error)}`)
    }
  }
}

function explain(error: unknown): string {
  const status = (error as { status?: number }).status
  if (status === 403 || status === 401)
    return `${describeError(error)}. Fix: give the job \`permissions: deployments: write\` (or pass a github-token that has it).`
  return describeError(error)
}
