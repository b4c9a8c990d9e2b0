// Which Node the benchmarks time the action under (bench/lib/runtime.mjs): the one action.yml declares.
import * as fs from 'node:fs'
const { declaredMajor, actionRuntime } = await import('../../../bench/lib/runtime.mjs')

test("declaredMajor reads action.yml's runs.using, quoted or not", () => {
  expect(declaredMajor(fs.readFileSync('action.yml', 'utf8'))).toBe(24)
  expect(declaredMajor("runs:\n  using: node20\n  main: 'dist/index.js'\n")).toBe(20)
  expect(declaredMajor('runs:\n  using: "node24"\n')).toBe(24)
  expect(() => declaredMajor("runs:\n  using: 'composite'\n")).toThrow(/no `using: 'nodeNN'` line/)
})

test('BENCH_NODE names the binary, and the line says which Node it is', () => {
  const before = process.env['BENCH_NODE']
  process.env['BENCH_NODE'] = process.execPath
  try {
    expect(actionRuntime()).toEqual({ node: process.execPath, label: `Node ${process.version} (BENCH_NODE)` })
  } finally {
    if (before === undefined) delete process.env['BENCH_NODE']
    else process.env['BENCH_NODE'] = before
  }
})
