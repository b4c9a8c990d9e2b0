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
