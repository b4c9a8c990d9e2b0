// @ts-check
// The README's Inputs and Outputs tables, generated from action.yml so the two never drift apart.
//   node scripts/readme-tables.mjs           print the tables
//   node scripts/readme-tables.mjs --write   replace them in README.md (between the markers)
//   node scripts/readme-tables.mjs --check   exit 1 when README.md is out of date (a unit test runs this check too)
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { load } from 'js-yaml'

export const START = '<!-- tables:start (generated from action.yml by scripts/readme-tables.mjs --write) -->'
export const END = '<!-- tables:end -->'

// Table cells cannot hold a raw pipe or a line break.
const cell = (/** @type {unknown} */ text) =>
  String(text)
    .trim()
    .replace(/\|/g, '\\|')
    .replace(/\s*\n\s*/g, ' ')
// Outside code spans, GitHub would take <prefix> for an HTML tag and drop it.
const prose = (/** @type {unknown} */ text) => cell(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const code = (/** @type {string} */ text) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

/** @param {string} actionYml @returns {string} */
export function renderTables(actionYml) {
  const action = /** @type {{ inputs?: Record<string, any>, outputs?: Record<string, any> }} */ (load(actionYml))
  const inputRows = Object.entries(action.inputs ?? {}).map(([name, input]) => {
    const required = input.required === true ? 'yes' : 'no'
    const fallback = input.default === undefined || input.default === '' ? '' : code(cell(input.default))
    return `| \`${name}\` | ${required} | ${fallback} | ${prose(input.description ?? '')} |`
  })
  const outputRows = Object.entries(action.outputs ?? {}).map(([name, output]) => `| \`${name}\` | ${prose(output.description ?? '')} |`)
  return [
    '### Inputs',
    '',
    '| Input | Required | Default | Description |',
    '|---|---|---|---|',
    ...inputRows,
    '',
    '### Outputs',
    '',
    '| Output | Description |',
    '|---|---|',
    ...outputRows
  ].join('\n')
}

/** README.md with its tables regenerated. @param {string} readme @param {string} actionYml */
export function updateReadme(readme, actionYml) {
  const start = readme.indexOf(START)
  const end = readme.indexOf(END)
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} markers`)
  return `${readme.slice(0, start + START.length)}\n\n${renderTables(actionYml)}\n\n${readme.slice(end)}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const readmePath = new URL('../README.md', import.meta.url)
  const actionYml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')
  const readme = readFileSync(readmePath, 'utf8')
  if (process.argv.includes('--write')) writeFileSync(readmePath, updateReadme(readme, actionYml))
  else if (process.argv.includes('--check')) {
    if (updateReadme(readme, actionYml) !== readme) {
      console.error('README.md tables are out of date: run node scripts/readme-tables.mjs --write')
      process.exit(1)
    }
  } else console.log(renderTables(actionYml))
}
