/** Markdown pieces for the job summary: table-safe text, code spans, fenced blocks, status icons. */

export const ICON: Record<string, string> = {
  Succeeded: '✅',
  Failed: '❌',
  Skipped: '⏭️',
  InProgress: '⏳',
  Pending: '…',
  Stopped: '⏹️',
  Ready: '🟡'
}

/** Text that can sit in a table cell or a quote: no raw pipes, tags or line breaks. */
export function esc(text: string): string {
  return text.replace(/[|<>]/g, c => `&#${c.charCodeAt(0)};`).replace(/\r?\n/g, ' ')
}

export function code(text: string): string {
  return text ? `\`${text.replace(/`/g, "'").replace(/\|/g, '\\|')}\`` : ''
}

export function fenced(text: string): string[] {
  let fence = '```'
  while (text.includes(fence)) fence += '`'
  return [`${fence}text`, text, fence]
}

/** A GFM table with a real header row (never the empty `| | |` that renders as a blank bar). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string[] {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---|').join('')}`, ...rows.map(r => `| ${r.join(' | ')} |`), '']
}

/**
 * Folded content: GitHub renders the Markdown inside when blank lines surround it. The title is
 * HTML, not Markdown, so it is escaped as HTML.
 */
export function details(title: string, body: readonly string[]): string[] {
  const lines = [...body]
  while (lines.at(-1) === '') lines.pop()
  if (lines.length === 0) return []
  const text = title.replace(/[&<>]/g, c => `&#${c.charCodeAt(0)};`)
  return [`<details><summary>${text}</summary>`, '', ...lines, '', '</details>', '']
}
