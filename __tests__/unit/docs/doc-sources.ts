// The YAML a user copies from this repository: the README's fenced blocks, the files in examples/,
// and the project's own workflows. Shared by the docs tests so they all read the same set.
import * as fs from 'node:fs'
import * as path from 'node:path'

export interface DocSource {
  /** where it is, for failure messages: `README.md:42` or `examples/deploy.yml` */
  name: string
  text: string
}

/** Every fenced block of one language (```yaml, ```json), named by the line its text starts on. */
export function fencedBlocks(markdown: string, language: string, file = 'README.md'): DocSource[] {
  const blocks: DocSource[] = []
  const lines = markdown.split('\n')
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]?.trim() !== '```' + language) continue
    const start = i + 1
    while (++i < lines.length && lines[i]?.trim() !== '```');
    blocks.push({ name: `${file}:${start + 1}`, text: lines.slice(start, i).join('\n') })
  }
  return blocks
}

function filesUnder(dir: string, pattern: RegExp): string[] {
  if (!fs.existsSync(dir)) return []
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter(file => pattern.test(file))
    .map(file => path.join(dir, file))
    .sort()
}

const read = (file: string): DocSource => ({ name: file, text: fs.readFileSync(file, 'utf8') })

/** examples/**.yml|yaml: the workflows and AppSpecs users copy. */
export const exampleYamlFiles = (): DocSource[] => filesUnder('examples', /\.ya?ml$/).map(read)

/** .github/workflows/*.yml: the project's own CI, self-test and dist check. */
export const workflowFiles = (): DocSource[] => filesUnder(path.join('.github', 'workflows'), /\.ya?ml$/).map(read)

export const readme = (): string => fs.readFileSync('README.md', 'utf8')
