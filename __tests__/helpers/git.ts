import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'

/** A fixed identity and dates, so the same files give the same commit ids in every run. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Octo Cat',
  GIT_AUTHOR_EMAIL: 'octo@example.com',
  GIT_COMMITTER_NAME: 'Octo Cat',
  GIT_COMMITTER_EMAIL: 'octo@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null'
}

export function git(dir: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', env: { ...process.env, ...GIT_ENV, ...env } }).trim()
}

/**
 * Makes `dir` a git repository as actions/checkout leaves one, everything under it committed at
 * `committed` (UTC), and returns the commit's id. `.git` placeholders (the fake token of the
 * integration workspaces) are replaced by a real repository.
 */
export function commitTree(dir: string, committed: Date, message = 'deploy me'): string {
  const date = `${Math.floor(committed.getTime() / 1000)} +0000`
  if (!fs.existsSync(path.join(dir, '.git', 'HEAD'))) {
    fs.rmSync(path.join(dir, '.git'), { recursive: true, force: true })
    git(dir, ['init', '-q', '-b', 'main'])
  }
  git(dir, ['add', '-A'])
  git(dir, ['commit', '-q', '--allow-empty', '--no-gpg-sign', '-m', message], { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date })
  return git(dir, ['rev-parse', 'HEAD'])
}
