import { ActionError } from '../core/errors.js'

/** Reads one input by its action.yml name, already trimmed ('' when unset). */
export type InputReader = (name: string) => string

export function required(input: InputReader, name: string, what: string): string {
  const value = input(name)
  if (!value) throw new ActionError('is required and was not set.', { input: name, fix: `set it to ${what}.` })
  return value
}

/** Non-empty lines, trimmed; `#` starts a comment line. */
export function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map(line => line.trim())
    .filter(line => line !== '' && !line.startsWith('#'))
}

export function oneOf<T extends string, D extends T | undefined>(
  input: InputReader,
  name: string,
  allowed: readonly T[],
  fallback: D
): T | D {
  const value = input(name)
  if (!value) return fallback
  const match = allowed.find(option => option.toLowerCase() === value.toLowerCase())
  if (match === undefined) {
    throw new ActionError(`'${value}' is not a valid value.`, { input: name, fix: `use one of: ${allowed.join(', ')}.` })
  }
  return match
}

// The YAML 1.2 core schema booleans, as @actions/core's getBooleanInput accepts them.
export function bool(input: InputReader, name: string, fallback: boolean): boolean {
  const value = input(name)
  if (!value) return fallback
  if (['true', 'True', 'TRUE'].includes(value)) return true
  if (['false', 'False', 'FALSE'].includes(value)) return false
  throw new ActionError(`'${value}' is not a boolean.`, { input: name, fix: 'use true or false.' })
}
