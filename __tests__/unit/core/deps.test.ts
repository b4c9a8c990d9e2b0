/**
 * deps.ts: prefixedLog puts the prefix before info and warning lines and passes the rest through.
 */
import { prefixedLog } from '../../../src/core/deps.js'
import { LineLog } from '../../helpers/deps.js'

describe('prefixedLog', () => {
  test('an empty prefix: the same log, not a wrapper', () => {
    const log = new LineLog()
    expect(prefixedLog(log, '')).toBe(log)
  })

  test('info and warning lines get the prefix', () => {
    const log = new LineLog()
    const prefixed = prefixedLog(log, '[production] ')
    prefixed.info('Uploading the bundle.')
    prefixed.warning('The bucket has no versioning.')
    expect(log.lines).toEqual(['[production] Uploading the bundle.'])
    expect(log.warnings).toEqual(['[production] The bucket has no versioning.'])
  })

  test('error annotations, groups and blocks pass through as they are', async () => {
    const log = new LineLog()
    const prefixed = prefixedLog(log, '[staging] ')
    prefixed.error('ApplicationStart failed', 'i-0abc failed ApplicationStart')
    prefixed.block('3 instances succeeded', ['i-1', 'i-2', 'i-3'])
    const result = await prefixed.group('Deploying', async () => 'done')
    expect(result).toBe('done')
    expect(log.errors).toEqual([{ message: 'ApplicationStart failed', title: 'i-0abc failed ApplicationStart' }])
    expect(log.blocks).toEqual([{ title: '3 instances succeeded', lines: ['i-1', 'i-2', 'i-3'] }])
    expect(log.groups).toEqual(['Deploying'])
    expect(log.lines).toEqual([])
  })

  test('lines written inside a group still get the prefix', async () => {
    const log = new LineLog()
    const prefixed = prefixedLog(log, '[a] ')
    await prefixed.group('Deploying', async () => {
      prefixed.info('inside')
    })
    expect(log.lines).toEqual(['[a] inside'])
  })

  test("a group's failure reaches the caller", async () => {
    const prefixed = prefixedLog(new LineLog(), '[a] ')
    await expect(prefixed.group('Deploying', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom')
  })
})
