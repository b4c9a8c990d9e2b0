// @ts-check
// The Node the action runs on: action.yml's `runs.using` (node24), not whichever Node runs the
// bench. The packager is timed under it, as a runner runs it. When this Node is another major, that
// Node is installed from the npm registry (node-<platform>-<arch>@<major>, the binary ships inside
// the package) into bench/.node/, once. BENCH_NODE=<path> names one instead. If it cannot be had
// (no registry), the bench says so and times this Node.
import { execFileSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/**
 * The major version action.yml declares (`using: 'node24'` gives 24).
 * @param {string} actionYml the file's text
 */
export function declaredMajor(actionYml) {
  const using = /^\s*using:\s*['"]?node(\d+)['"]?\s*$/m.exec(actionYml)
  if (!using?.[1]) throw new Error("action.yml has no `using: 'nodeNN'` line")
  return Number(using[1])
}

/**
 * The node binary to time the action with, and a line that says which it is.
 * @returns {{ node: string, label: string }}
 */
export function actionRuntime() {
  const major = declaredMajor(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8'))
  const given = process.env['BENCH_NODE']
  if (given) return { node: given, label: `Node ${version(given)} (BENCH_NODE)` }
  if (Number(process.versions.node.split('.')[0]) === major) return { node: process.execPath, label: `Node ${process.version}` }
  const pkg = `node-${process.platform === 'win32' ? 'win' : process.platform}-${process.arch}`
  const dir = path.join(ROOT, 'bench', '.node', `${pkg}-${major}`)
  const node = path.join(dir, 'package', 'bin', 'node')
  try {
    if (!fs.existsSync(node)) install(`${pkg}@${major}`, dir)
    return { node, label: `Node ${version(node)} (action.yml: node${major}; from npm ${pkg})` }
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error)
    return {
      node: process.execPath,
      label: `Node ${process.version}: node${major}, which action.yml declares, could not be installed (${why}); set BENCH_NODE`
    }
  }
}

/** @param {string} spec @param {string} dir */
function install(spec, dir) {
  const partial = `${dir}.partial`
  fs.rmSync(partial, { recursive: true, force: true })
  fs.mkdirSync(partial, { recursive: true })
  const file = execFileSync('npm', ['pack', spec, '--silent', '--pack-destination', partial], { encoding: 'utf8', timeout: 300_000 }).trim()
  execFileSync('tar', ['-xzf', path.join(partial, file), '-C', partial])
  fs.rmSync(path.join(partial, file))
  // Renamed whole once complete: an interrupted install is never taken for a finished one.
  fs.rmSync(dir, { recursive: true, force: true })
  fs.renameSync(partial, dir)
}

/** @param {string} node */
function version(node) {
  return execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()
}
