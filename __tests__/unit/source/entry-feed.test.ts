/** EntryFeed.settlesFirst: a writer waits on its next result and on the walk at once. */
import { getEventListeners } from 'node:events'
import { EntryFeed } from '../../../src/source/entry-feed.js'
import type { Entry } from '../../../src/source/entry.js'

const signal = new AbortController().signal
const file = (name: string): Entry => ({ path: name, kind: 'file', mode: 0o644, size: 1, diskPath: `/src/${name}` })
const never = new Promise<never>(() => undefined)

describe('EntryFeed.settlesFirst', () => {
  test('true when the work settles first, whether it resolves or rejects', async () => {
    const feed = new EntryFeed()
    expect(await feed.settlesFirst(Promise.resolve('done'), 0, signal)).toBe(true)
    expect(await feed.settlesFirst(Promise.reject(new Error('a worker failed')), 0, signal)).toBe(true)
  })

  test('nothing is left waiting once the work settles first, however often it is asked', async () => {
    const feed = new EntryFeed()
    const cancel = new AbortController()
    for (let job = 0; job < 20; job++) expect(await feed.settlesFirst(Promise.resolve(job), 0, cancel.signal)).toBe(true)
    expect(getEventListeners(cancel.signal, 'abort')).toHaveLength(0)
  })

  test('false once the walk finds more than `seen` entries, or ends, while the work goes on', async () => {
    const feed = new EntryFeed()
    const grown = feed.settlesFirst(never, 0, signal)
    feed.push([file('a.txt')])
    expect(await grown).toBe(false)
    const ended = feed.settlesFirst(never, 1, signal)
    feed.end()
    expect(await ended).toBe(false)
  })

  test('more entries than `seen` already there: false at once', async () => {
    const feed = new EntryFeed([file('a.txt'), file('b.txt')])
    expect(await feed.settlesFirst(never, 1, signal)).toBe(false)
  })

  test('a walk that fails first rejects with its error; one that fails after the work settled is left to the next wait', async () => {
    const feed = new EntryFeed()
    const failure = new Error('EACCES: permission denied, scandir')
    const waiting = feed.settlesFirst(never, 0, signal)
    feed.fail(failure)
    await expect(waiting).rejects.toBe(failure)

    const later = new EntryFeed()
    expect(await later.settlesFirst(Promise.resolve(), 0, signal)).toBe(true)
    later.fail(failure)
    await expect(later.more(0, signal)).rejects.toBe(failure)
  })

  test('a cancel while it waits rejects with the abort', async () => {
    const feed = new EntryFeed()
    const cancel = new AbortController()
    const waiting = feed.settlesFirst(never, 0, cancel.signal)
    cancel.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
  })
})
