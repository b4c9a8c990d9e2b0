import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'

/** What one path of a test tree holds: text, bytes, or a described node. */
export type Node = string | Buffer | { content: string | Buffer; mode: number } | { dir: true; mode?: number } | { symlink: string }

/**
 * Real temp directories for a test file: `make()` in a test, `cleanup()` in afterEach.
 * Everything is removed, even directories left read-only by a test.
 */
export class TempDirs {
  private readonly made: string[] = []

  /** `fast`: on a tmpfs when there is one (trees of many thousand files are much quicker there). */
  make(prefix = 'cda-unit-', options: { fast?: boolean } = {}): string {
    const base = options.fast && fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir()
    const dir = fs.mkdtempSync(path.join(base, prefix))
    this.made.push(dir)
    return dir
  }

  cleanup(): void {
    for (const dir of this.made.splice(0)) fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** Runs `body` with the working directory at `dir` (as the action runs in the workspace), then puts it back. */
export async function inDir<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const before = process.cwd()
  process.chdir(dir)
  try {
    return await body()
  } finally {
    process.chdir(before)
  }
}

/** Writes `spec` under `root` (parents created as needed) and returns `root`. */
export function buildTree(root: string, spec: Record<string, Node>): string {
  for (const [rel, node] of Object.entries(spec)) {
    const target = path.join(root, rel)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    if (typeof node === 'string' || Buffer.isBuffer(node)) {
      fs.writeFileSync(target, node)
      fs.chmodSync(target, 0o644)
    } else if ('symlink' in node) {
      fs.symlinkSync(node.symlink, target)
    } else if ('dir' in node) {
      fs.mkdirSync(target, { recursive: true })
      fs.chmodSync(target, node.mode ?? 0o755)
    } else {
      fs.writeFileSync(target, node.content)
      fs.chmodSync(target, node.mode)
    }
  }
  return root
}

/** Bytes that do not compress (a fixed seed, so a failure can be reproduced). */
export function randomBytes(size: number, seed = 1): Buffer {
  const out = Buffer.alloc(size)
  let x = seed >>> 0 || 1
  for (let i = 0; i < size; i += 4) {
    // xorshift32
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out.writeUInt32LE(x, i <= size - 4 ? i : size - 4)
  }
  return out
}
