/**
 * errors.ts: the text an ActionError shows (input named, predicate or colon, fix appended), the
 * text of anything else thrown, and the AWS error name.
 */
import { ActionError, awsErrorName, describeError } from '../../../src/core/errors.js'

describe('ActionError', () => {
  test('keeps its message, input, fix, code and cause, and is an Error named ActionError', () => {
    const cause = new Error('underneath')
    const error = new ActionError('is not a number.', { input: 'timeout-minutes', fix: 'use 30.', code: 'BadInput', cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ActionError')
    expect(error.message).toBe('is not a number.')
    expect(error.input).toBe('timeout-minutes')
    expect(error.fix).toBe('use 30.')
    expect(error.code).toBe('BadInput')
    expect(error.cause).toBe(cause)
  })

  test('without options: no input, fix, code or cause', () => {
    const error = new ActionError('Something broke.')
    expect(error.input).toBeUndefined()
    expect(error.fix).toBeUndefined()
    expect(error.code).toBeUndefined()
    expect('cause' in error).toBe(false)
    expect(error.describe()).toBe('Something broke.')
  })

  test.each([
    ['is not a number.', "Input 'timeout-minutes' is not a number."],
    ['are both set.', "Input 'timeout-minutes' are both set."],
    ['names a file that does not exist.', "Input 'timeout-minutes' names a file that does not exist."],
    ['stayed empty.', "Input 'timeout-minutes' stayed empty."],
    ['does not parse.', "Input 'timeout-minutes' does not parse."],
    ['has no value.', "Input 'timeout-minutes' has no value."]
  ])('a message starting with a predicate follows the input name: %s', (message, shown) => {
    expect(new ActionError(message, { input: 'timeout-minutes' }).describe()).toBe(shown)
  })

  test('any other message follows the input name after a colon', () => {
    expect(new ActionError('must be between 1 and 360.', { input: 'timeout-minutes' }).describe()).toBe(
      "Input 'timeout-minutes': must be between 1 and 360."
    )
  })

  test('a word that only begins with a predicate is not one', () => {
    expect(new ActionError('isolated groups cannot be deployed.', { input: 'deployment-group' }).describe()).toBe(
      "Input 'deployment-group': isolated groups cannot be deployed."
    )
  })

  test('the fix follows the text, after "Fix:"', () => {
    expect(new ActionError('is not a number.', { input: 'timeout-minutes', fix: 'give whole minutes, e.g. 30.' }).describe()).toBe(
      "Input 'timeout-minutes' is not a number. Fix: give whole minutes, e.g. 30."
    )
    expect(new ActionError('The bucket is gone.', { fix: 'create it.' }).describe()).toBe('The bucket is gone. Fix: create it.')
  })
})

describe('describeError', () => {
  test('an ActionError: its full description, fix included', () => {
    expect(describeError(new ActionError('is empty.', { input: 's3-bucket', fix: 'name a bucket.' }))).toBe(
      "Input 's3-bucket' is empty. Fix: name a bucket."
    )
  })

  test('a plain Error: its message alone', () => {
    expect(describeError(new Error('socket hang up'))).toBe('socket hang up')
  })

  test('an Error of another name: the name, then the message', () => {
    expect(describeError(new TypeError('x is not a function'))).toBe('TypeError: x is not a function')
    expect(describeError(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))).toBe(
      'ThrottlingException: Rate exceeded'
    )
  })

  test('an Error without a message says so', () => {
    expect(describeError(new Error(''))).toBe('(no message)')
    expect(describeError(new RangeError())).toBe('RangeError: (no message)')
  })

  test('a string as it is', () => {
    expect(describeError('plain words')).toBe('plain words')
  })

  test('anything else as JSON, never [object Object]', () => {
    expect(describeError({ code: 'E1', detail: 'gone' })).toBe('{"code":"E1","detail":"gone"}')
    expect(describeError(42)).toBe('42')
    expect(describeError(null)).toBe('null')
  })

  test('what JSON cannot show: its String()', () => {
    expect(describeError(undefined)).toBe('undefined')
    // JSON.stringify throws on a bigint.
    expect(describeError(10n)).toBe('10')
  })
})

describe('awsErrorName', () => {
  test("an error's name", () => {
    expect(awsErrorName(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }))).toBe('AccessDeniedException')
    expect(awsErrorName({ name: 'Unknown', $metadata: { httpStatusCode: 403 } })).toBe('Unknown')
    expect(awsErrorName(new Error('x'))).toBe('Error')
  })

  test('undefined when there is no string name', () => {
    expect(awsErrorName(undefined)).toBeUndefined()
    expect(awsErrorName(null)).toBeUndefined()
    expect(awsErrorName('ThrottlingException')).toBeUndefined()
    expect(awsErrorName({ code: 'ECONNRESET' })).toBeUndefined()
    expect(awsErrorName({ name: 7 })).toBeUndefined()
  })
})
