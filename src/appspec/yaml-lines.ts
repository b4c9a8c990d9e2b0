/**
 * Finds where a key of a block-style YAML document sits, so an error can name its line.
 * js-yaml gives values without positions; this reads the text's indentation instead, which is
 * enough for AppSpec files (block mappings and lists). Flow style falls back to the enclosing line.
 */

/** Lines [start, end) of a block: a key's line and everything nested under it. */
export interface Block {
  start: number
  end: number
}

export class YamlLines {
  private readonly lines: string[]

  constructor(text: string) {
    this.lines = text.split(/\r?\n/)
  }

  /** The whole document. */
  get root(): Block {
    return { start: -1, end: this.lines.length }
  }

  /** 1-based line number for messages. */
  lineOf(block: Block | undefined): number | undefined {
    return block && block.start >= 0 ? block.start + 1 : undefined
  }

  /**
   * The block of `key` directly inside `parent` (a mapping, or a list item whose first key
   * shares the dash's line). Comments and deeper keys of the same name are skipped.
   */
  key(parent: Block, key: string): Block | undefined {
    const column = this.keyColumn(parent)
    if (column === undefined) return undefined
    const pattern = new RegExp(`^${escape(key)}\\s*:(\\s|$)`)
    for (let i = Math.max(parent.start, 0); i < parent.end; i++) {
      const at = this.contentColumn(i, i === parent.start)
      if (at === column && pattern.test(this.lines[i]!.slice(at))) return { start: i, end: this.blockEnd(i, column) }
    }
    return undefined
  }

  /** The value written after `key:` on a key's own line, as text (comment dropped), if any. */
  valueText(block: Block | undefined): string | undefined {
    if (!block || block.start < 0) return undefined
    const match = /^\s*(?:-\s+)?[^:#]+:\s*(.*)$/.exec(this.lines[block.start]!)
    const value = match?.[1]?.replace(/\s+#.*$/, '').trim()
    return value ? value : undefined
  }

  /** The list items directly inside `parent`, each from its dash to the next one. */
  items(parent: Block): Block[] {
    const dashes: number[] = []
    let column: number | undefined
    for (let i = parent.start + 1; i < parent.end; i++) {
      const line = this.lines[i]!
      const indent = line.search(/\S/)
      if (indent < 0 || line[indent] === '#') continue
      if (column === undefined && /^-(\s|$)/.test(line.slice(indent))) column = indent
      if (indent === column && /^-(\s|$)/.test(line.slice(indent))) dashes.push(i)
    }
    return dashes.map((start, n) => ({ start, end: dashes[n + 1] ?? parent.end }))
  }

  /** Column where the keys of a block start: after `key:` lines, the first nested line; after `- `, the text. */
  private keyColumn(block: Block): number | undefined {
    if (block.start < 0) return 0
    const own = this.lines[block.start]!
    const dash = /^(\s*)-\s+(?=\S)/.exec(own)
    if (dash && !own.slice(dash[0].length).startsWith('#')) return dash[0].length
    for (let i = block.start + 1; i < block.end; i++) {
      const at = this.contentColumn(i, false)
      if (at !== undefined) return at
    }
    return undefined
  }

  /** Column of the first meaningful character of line i (after a leading dash when `afterDash`). */
  private contentColumn(i: number, afterDash: boolean): number | undefined {
    const line = this.lines[i]!
    const match = afterDash ? (/^(\s*-\s+)(?=\S)/.exec(line) ?? /^\s*/.exec(line)) : /^\s*/.exec(line)
    const at = match ? match[0].length : 0
    if (at >= line.length || line[at] === '#') return undefined
    return at
  }

  /** End of the block opened by the key at line i: the next line indented no deeper (a list at the same column continues it). */
  private blockEnd(i: number, column: number): number {
    for (let j = i + 1; j < this.lines.length; j++) {
      const line = this.lines[j]!
      const indent = line.search(/\S/)
      if (indent < 0 || line[indent] === '#') continue
      if (indent < column || (indent === column && !/^-(\s|$)/.test(line.slice(indent)))) return j
    }
    return this.lines.length
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
