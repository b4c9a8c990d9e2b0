// Prints the README's Inputs and Outputs tables from action.yml, so the two never drift apart.
// Usage: node scripts/readme-tables.mjs   (then paste the output into README.md)
import { readFileSync } from 'node:fs'
import { load } from 'js-yaml'

const action = load(readFileSync(new URL('../action.yml', import.meta.url), 'utf8'))

// Table cells cannot hold a raw pipe or a line break.
const cell = (text) => String(text).trim().replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ')
// Outside code spans, GitHub would take <prefix> for an HTML tag and drop it.
const prose = (text) => cell(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const code = (text) => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``)

const inputRows = Object.entries(action.inputs ?? {}).map(([name, input]) => {
  const required = input.required === true ? 'yes' : 'no'
  const fallback = input.default === undefined || input.default === '' ? '' : code(cell(input.default))
  return `| \`${name}\` | ${required} | ${fallback} | ${prose(input.description ?? '')} |`
})

const outputRows = Object.entries(action.outputs ?? {}).map(
  ([name, output]) => `| \`${name}\` | ${prose(output.description ?? '')} |`
)

console.log(
  [
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
)
