// @ts-check
// One packaging run in a process of its own, so its peak RSS is the packager's alone:
//   node bench/lib/package-child.mjs <build-dir> <tree> <out-dir> <zip|tgz>
// <build-dir> holds ncc builds of src/source/walk-tree.ts, src/source/entry-feed.ts and src/bundle/write-bundle.ts
// (made by package.bench.mjs). As the action does, the writer starts first and packages the entries as the walk finds them.
// Prints one JSON line: entries, size, sha256, the file written, milliseconds, maxRSS (bytes).
import * as path from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'

const [buildDir, tree, outDir, type] = process.argv.slice(2)
if (!buildDir || !tree || !outDir || (type !== 'zip' && type !== 'tgz')) {
  process.stderr.write('usage: package-child.mjs <build-dir> <tree> <out-dir> <zip|tgz>\n')
  process.exit(2)
}
const started = performance.now()
const { walkSourceTree } = await import(pathToFileURL(path.join(buildDir, 'walk-tree', 'index.js')).href)
const { EntryFeed } = await import(pathToFileURL(path.join(buildDir, 'entry-feed', 'index.js')).href)
const { writeBundle } = await import(pathToFileURL(path.join(buildDir, 'write-bundle', 'index.js')).href)
const feed = new EntryFeed()
// A fixed commit time, as the action stamps one: the bench measures the writer, not git.
const writing = writeBundle(feed, type, {
  mtime: new Date('2024-03-09T23:41:07Z'),
  signal: new AbortController().signal,
  tempRoot: outDir
})
writing.catch(() => undefined)
// The action's defaults: node_modules/ out, .git/ out, nothing else excluded.
await walkSourceTree(tree, [], feed)
const bundle = await writing
process.stdout.write(
  `${JSON.stringify({
    entries: bundle.entries,
    size: bundle.size,
    sha256: bundle.sha256,
    file: bundle.file,
    ms: Math.round(performance.now() - started),
    // resourceUsage().maxRSS is in kilobytes.
    maxRss: process.resourceUsage().maxRSS * 1024
  })}\n`
)
