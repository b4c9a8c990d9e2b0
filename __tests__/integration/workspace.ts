import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

const SAMPLE_APP = path.resolve('examples', 'sample-app')

/**
 * A workspace as actions/checkout leaves it: the sample app under `app/`, a `.git/` holding a
 * token, and a `node_modules/` that must not be bundled.
 */
export function makeWorkspace(): { root: string; app: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'cda-ws-'))
  const app = path.join(root, 'app')
  fs.cpSync(SAMPLE_APP, app, { recursive: true })
  fs.mkdirSync(path.join(app, '.git'))
  fs.writeFileSync(path.join(app, '.git', 'config'), '[http]\n\textraheader = AUTHORIZATION: basic c2VjcmV0LXRva2Vu\n')
  fs.mkdirSync(path.join(app, 'node_modules', 'left-pad'), { recursive: true })
  fs.writeFileSync(path.join(app, 'node_modules', 'left-pad', 'index.js'), 'module.exports = s => s\n')
  return { root, app, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) }
}
