import type { WriteOptions } from '../../src/bundle/write-options.js'

/** A commit time with odd seconds and a date no time zone shifts across midnight unnoticed: 2024-03-09 23:41:07 UTC. */
export const COMMIT_TIME = new Date('2024-03-09T23:41:07Z')

/** What a writer is given in a test: the commit time, a signal nobody aborts, plus `extra`. */
export function writeOptions<T extends object = object>(extra?: T): WriteOptions & T {
  return { mtime: COMMIT_TIME, signal: new AbortController().signal, ...(extra ?? ({} as T)) }
}
