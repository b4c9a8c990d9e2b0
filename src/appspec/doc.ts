import { ActionError } from '../core/errors.js'
import { YamlLines, type Block } from './yaml-lines.js'

/** A path into the document: mapping keys as written, list indexes as numbers. */
export type DocPath = ReadonlyArray<string | number>

/**
 * An ECS or Lambda AppSpec as parsed, with what its checks share: case-insensitive lookups
 * (the service's own examples spell `Resources` and `resources` alike) and errors that name the
 * file, the line where it can be found, and the input to fix.
 */
export class AppSpecDoc {
  private readonly lines: YamlLines
  private readonly text: string[]

  constructor(
    readonly name: string,
    content: string,
    readonly root: Record<string, unknown>
  ) {
    this.lines = new YamlLines(content)
    this.text = content.split(/\r?\n/)
  }

  /** `at`: where in the document, or a line number already known. */
  fail(problem: string, fix: string, at?: DocPath | number, input = 'appspec'): never {
    const line = typeof at === 'number' ? at : at ? this.lineOf(at) : undefined
    throw new ActionError(`${this.name}${line ? ` line ${line}` : ''}: ${problem}`, { input, fix })
  }

  /** 1-based line of a key or list item; block YAML is followed exactly, JSON and flow style by the last key's first mention. */
  lineOf(at: DocPath): number | undefined {
    let block: Block | undefined = this.lines.root
    for (const step of at) {
      if (!block) break
      block = typeof step === 'number' ? this.lines.items(block)[step] : this.lines.key(block, step)
    }
    const found = block ? this.lines.lineOf(block) : undefined
    if (found) return found
    const key = [...at].reverse().find((s): s is string => typeof s === 'string')
    return key === undefined ? undefined : this.lineContaining(new RegExp(`(^|[\\s{,"'-])${escape(key)}["']?\\s*:`))
  }

  /** First line, not a comment, where `pattern` matches. */
  lineContaining(pattern: RegExp): number | undefined {
    const i = this.text.findIndex(line => !/^\s*#/.test(line) && pattern.test(line))
    return i < 0 ? undefined : i + 1
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The key of `obj` that matches `key` whatever its case, and its value. */
export function member(obj: unknown, key: string): [string, unknown] | undefined {
  if (!isRecord(obj)) return undefined
  const lower = key.toLowerCase()
  const found = Object.keys(obj).find(k => k.toLowerCase() === lower)
  return found === undefined ? undefined : [found, obj[found]]
}

export function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.trim() !== ''
}

/** A positive integer written as a number or a string ("3"), as text; undefined otherwise. */
export function positiveInteger(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return String(value)
  if (typeof value === 'string' && /^[1-9]\d*$/.test(value.trim())) return value.trim()
  return undefined
}

/** How a value reads in a message. */
export function shown(value: unknown): string {
  if (value === undefined) return 'missing'
  if (value === null) return 'empty'
  return typeof value === 'string' ? `'${value}'` : JSON.stringify(value)
}

export function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
