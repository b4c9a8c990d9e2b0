/**
 * FileSink on a disk that is full: /dev/full answers every write with ENOSPC (Linux), as a
 * runner's disk does when the bundle does not fit.
 */
import { spawnSync } from 'node:child_process'
import * as fs from 'node:fs'
import * as path from 'node:path'
import ts from 'typescript'
import { ActionError } from '../../../../src/core/errors.js'
import { FileSink } from '../../../../src/bundle/zip/file-sink.js'
import { TempDirs } from '../../../helpers/tree.js'

const MB = 1 << 20
const onLinux = process.platform === 'linux' && fs.existsSync('/dev/full')
const linuxOnly = onLinux ? test : test.skip

/**
 * Runs `script` in a plain Node process with FileSink (compiled from src/ as it is): jest keeps
 * unhandled rejections from the test's `process`, and one must end a real process to be seen.
 */
function runWithSink(script: string): { status: number | null; stdout: string; stderr: string } {
  const temp = new TempDirs()
  try {
    const root = temp.make()
    for (const file of ['bundle/zip/file-sink.ts', 'core/errors.ts']) {
      const source = fs.readFileSync(path.join('src', file), 'utf8')
      const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } })
      fs.mkdirSync(path.join(root, path.dirname(file)), { recursive: true })
      fs.writeFileSync(path.join(root, file.replace(/\.ts$/, '.js')), js.outputText)
    }
    fs.writeFileSync(path.join(root, 'package.json'), '{"type":"module"}')
    fs.writeFileSync(path.join(root, 'main.js'), `import { FileSink } from './bundle/zip/file-sink.js'\n${script}`)
    const run = spawnSync(process.execPath, [path.join(root, 'main.js')], { encoding: 'utf8', timeout: 20_000 })
    return { status: run.status, stdout: run.stdout, stderr: run.stderr }
  } finally {
    temp.cleanup()
  }
}

describe('FileSink on a full disk', () => {
  linuxOnly('a background write that fails does not end the process: the next write throws one clear error', () => {
    const run = runWithSink(`
      const sink = await FileSink.create('/dev/full')
      try {
        // Small writes fill the buffer, which then goes to disk in the background: give that
        // write time to fail while nobody awaits it.
        for (let i = 0; i < 16; i++) await sink.write(Buffer.alloc(${MB / 16}, 1))
        await new Promise(resolve => setTimeout(resolve, 50))
        for (let i = 0; i < 3; i++) await sink.write(Buffer.alloc(${MB}, 2))
        await sink.close()
        console.log('no error')
      } catch (error) {
        await sink.abandon()
        console.log(JSON.stringify({ name: error.name, code: error.code, text: error.describe?.() ?? error.message }))
      }
    `)
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' })
    const thrown = JSON.parse(run.stdout) as { name: string; code: string; text: string }
    expect([thrown.name, thrown.code]).toEqual(['ActionError', 'ENOSPC'])
    expect(thrown.text).toMatch(
      /^Writing the bundle to \/dev failed: the disk is full \(\/dev: (\d+(\.\d)? (bytes|KiB|MiB|GiB|TiB) free|free space unknown)\)\. Fix: put the bundle on a bigger disk \(set RUNNER_TEMP .*\), or leave out what need not ship with `exclude`/
    )
  })

  linuxOnly('a big write straight to the file and the last flush at close fail the same way', async () => {
    const big = await FileSink.create('/dev/full')
    await expect(big.write(Buffer.alloc(3 * MB))).rejects.toThrow(/^Writing the bundle to \/dev failed: the disk is full/)
    await big.abandon()
    const small = await FileSink.create('/dev/full')
    await small.write(Buffer.from('PK'))
    await expect(small.close()).rejects.toBeInstanceOf(ActionError)
  })

  test('on a good disk the bytes are written as given, and other errors pass through unchanged', async () => {
    const temp = new TempDirs()
    try {
      const file = path.join(temp.make(), 'a.zip')
      const sink = await FileSink.create(file)
      await sink.write(Buffer.alloc(MB + 10, 7))
      await sink.patch(0, Buffer.from('PK'))
      expect(await sink.close()).toBe(MB + 10)
      const bytes = fs.readFileSync(file)
      expect([bytes.length, bytes.subarray(0, 3).toString('latin1')]).toEqual([MB + 10, 'PK\x07'])
      await expect(FileSink.create(path.join(temp.make(), 'missing', 'b.zip'))).rejects.toMatchObject({ code: 'ENOENT' })
    } finally {
      temp.cleanup()
    }
  })
})
