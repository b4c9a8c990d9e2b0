import { ActionError } from '../core/errors.js'
import { bool, type InputReader } from './reader.js'

export interface GithubEnvironmentInputs {
  githubEnvironment: string | undefined
  githubEnvironmentProduction: boolean
  githubEnvironmentUrl: string | undefined
}

/** `github-environment` and what the GitHub deployment records about it. */
export function readGithubEnvironment(input: InputReader): GithubEnvironmentInputs {
  const environment = input('github-environment') || undefined
  for (const name of ['github-environment-production', 'github-environment-url']) {
    if (!environment && input(name)) {
      throw new ActionError('is set, but github-environment is empty: it describes the GitHub deployment recorded for that environment.', {
        input: name,
        fix: 'set github-environment to the environment to record the deployment in, or remove this input.'
      })
    }
  }
  // GitHub treats environment names without regard to case; only `production` itself is production by default
  // ("preprod" and "production-eu" are not: say so with github-environment-production: true).
  const production = bool(input, 'github-environment-production', environment?.toLowerCase() === 'production')
  return { githubEnvironment: environment, githubEnvironmentProduction: production, githubEnvironmentUrl: readUrl(input) }
}

function readUrl(input: InputReader): string | undefined {
  const value = input('github-environment-url')
  if (!value) return undefined
  let url: URL | undefined
  try {
    url = new URL(value)
  } catch {
    url = undefined
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:') || /\s/.test(value)) {
    throw new ActionError(`'${value}' is not an http(s) URL.`, {
      input: 'github-environment-url',
      fix: 'give the full address of the deployed app, e.g. `github-environment-url: https://shop.example.com`.'
    })
  }
  return value
}
