/**
 * What source-dir's checkout says about the commit it holds (real git repositories in temp
 * directories), whether it may be packaged under `sha`'s key, and the time its entries carry.
 */
import * as fs from 'node:fs'
import * as path from 'node:path'
import { ActionError } from '../../../src/core/errors.js'
import { bundleTime } from '../../../src/source/bundle-time.js'
import { commitTime, headCommit, requireCheckoutOf } from '../../../src/source/checkout.js'
import { commitTree } from '../../helpers/git.js'
import { buildTree, TempDirs } from '../../helpers/tree.js'

const temp = new TempDirs()
afterEach(() => temp.cleanup())

const FIRST = new Date('2024-03-09T23:41:07Z')
const SECOND = new Date('2024-03-10T08:00:00Z')
const OTHER = 'fedcba9876543210fedcba9876543210fedcba98'
const TARGET = 's3://bundles/app/<sha>.zip'

/** A repository with two commits; source-dir is its `app/` folder. */
function repository(): { root: string; app: string; first: string; second: string } {
  const root = buildTree(temp.make(), { 'app/appspec.yml': 'version: 0.0\nos: linux\n', 'README.md': 'v1\n' })
  const first = commitTree(root, FIRST, 'first')
  fs.writeFileSync(path.join(root, 'README.md'), 'v2\n')
  const second = commitTree(root, SECOND, 'second')
  return { root, app: path.join(root, 'app'), first, second }
}

/** A tree as an artifact or cache gives it: no repository anywhere above (a bare .git folder with only a config does not count). */
function plainTree(): string {
  return buildTree(temp.make(), { 'appspec.yml': 'version: 0.0\nos: linux\n', '.git/config': '[http]\n' })
}

async function refusal(promise: Promise<unknown>): Promise<ActionError> {
  const error: unknown = await promise.then(
    () => new Error('expected a refusal'),
    (e: unknown) => e
  )
  expect(error).toBeInstanceOf(ActionError)
  return error as ActionError
}

describe('headCommit and commitTime', () => {
  test('HEAD of the repository that holds the directory, and the committer date of any of its commits', async () => {
    const { app, first, second } = repository()
    expect(await headCommit(app)).toEqual({ kind: 'commit', sha: second })
    expect(await commitTime(app, second)).toEqual(SECOND)
    expect(await commitTime(app, first)).toEqual(FIRST)
    expect(await commitTime(app, OTHER)).toBeUndefined()
  })

  test('a directory in no repository', async () => {
    const dir = plainTree()
    expect(await headCommit(dir)).toEqual({ kind: 'no-repository' })
    expect(await commitTime(dir, OTHER)).toBeUndefined()
  })

  test('git not installed: git cannot tell, and says why', async () => {
    const { app } = repository()
    const saved = process.env['PATH']
    process.env['PATH'] = temp.make()
    try {
      expect(await headCommit(app)).toEqual({ kind: 'unknown', reason: 'git is not installed on the runner' })
    } finally {
      process.env['PATH'] = saved
    }
  })
})

describe('requireCheckoutOf: never package one commit under another commit key', () => {
  test('the checkout is that commit: packaged', async () => {
    const { app, second } = repository()
    expect(await requireCheckoutOf(app, second, { workflowCommit: false, target: TARGET })).toEqual({
      line: `source-dir is a checkout of ${second}.`,
      warn: false
    })
  })

  test.each([false, true])(
    'the checkout is another commit (workflow commit: %s): refused, naming the key and both fixes',
    async workflowCommit => {
      const { app, first, second } = repository()
      const error = await refusal(requireCheckoutOf(app, first, { workflowCommit, target: TARGET }))
      expect(error.describe()).toBe(
        `Input 'sha' names ${first}, but source-dir is a checkout of ${second}: packaging it would put another commit's tree at ${TARGET}. ` +
          `Fix: check out that commit before this step (actions/checkout with \`ref: ${first}\`), or upload its bundle first ` +
          `(run the workflow for ${first}, which packages and uploads it), then redeploy.`
      )
    }
  )

  test("no repository, and sha is the workflow's own commit: trusted, as a tree from an artifact is", async () => {
    expect(await requireCheckoutOf(plainTree(), OTHER, { workflowCommit: true, target: TARGET })).toEqual({
      line: `source-dir is not in a git repository: trusting that it holds the workflow's commit ${OTHER}.`,
      warn: false
    })
  })

  test('no repository, and sha names another commit: refused, since nothing shows the tree is that commit', async () => {
    const error = await refusal(requireCheckoutOf(plainTree(), OTHER, { workflowCommit: false, target: TARGET }))
    expect(error.input).toBe('sha')
    expect(error.message).toBe(
      `names ${OTHER}, another commit than the workflow's, and source-dir is not in a git repository, so nothing shows that it ` +
        `holds that commit: its tree will not be packaged as ${TARGET}.`
    )
    expect(error.fix).toMatch(/^check out that commit before this step .* or upload its bundle first/)
  })
})

describe('bundleTime: the commit time, in order of trust', () => {
  const sources = (over: Partial<Parameters<typeof bundleTime>[0]>): Parameters<typeof bundleTime>[0] => ({
    sourceDir: plainTree(),
    sha: OTHER,
    startedAt: Date.parse('2026-11-30T20:14:52.345Z'),
    ...over
  })
  const event = (payload: unknown): string => {
    const file = path.join(temp.make(), 'event.json')
    fs.writeFileSync(file, JSON.stringify(payload))
    return file
  }

  test('the committer date of sha in the checkout comes first, even over SOURCE_DATE_EPOCH', async () => {
    const { app, first } = repository()
    expect(await bundleTime(sources({ sourceDir: app, sha: first, sourceDateEpoch: 1 }))).toEqual({
      mtime: FIRST,
      from: `the committer date of ${first.slice(0, 12)}`
    })
  })

  test('then SOURCE_DATE_EPOCH', async () => {
    expect(await bundleTime(sources({ sourceDateEpoch: 1709940000 }))).toEqual({
      mtime: new Date(1709940000_000),
      from: 'SOURCE_DATE_EPOCH'
    })
  })

  test("then the push event's head commit, when it is sha (its time zone offset honoured)", async () => {
    const eventPath = event({ head_commit: { id: OTHER, timestamp: '2024-03-10T05:11:07+05:30' } })
    expect(await bundleTime(sources({ eventPath }))).toEqual({ mtime: FIRST, from: `the event's head commit (${OTHER.slice(0, 12)})` })
  })

  test('none of them (a head commit of another sha does not count): the start of the run, whole seconds, with a warning naming SOURCE_DATE_EPOCH', async () => {
    const eventPath = event({ head_commit: { id: '1'.repeat(40), timestamp: '2024-03-10T05:11:07+05:30' } })
    const time = await bundleTime(sources({ eventPath }))
    expect(time.mtime).toEqual(new Date('2026-11-30T20:14:52Z'))
    expect(time.from).toBe('the start of this run')
    expect(time.warning).toMatch(
      /^No commit time for fedcba987654: .* Set SOURCE_DATE_EPOCH \(e\.g\. to the output of git log -1 --format=%ct\)/
    )
  })
})
