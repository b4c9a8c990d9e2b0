// Minimal HTTP server for the CodeDeploy example: reports the deployed version.
import { createServer } from 'node:http'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const version = pkg.version
// Written by scripts/after_install.sh; absent when run from a checkout.
let revision = 'local'
try {
  revision = readFileSync(new URL('./REVISION', import.meta.url), 'utf8').trim()
} catch {
  // keep 'local'
}

const port = Number(process.env.PORT ?? 3000)
const started = new Date().toISOString()

const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify({ status: 'ok', version, revision, started }))
    return
  }
  if (req.url === '/') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' })
    res.end(`sample-app ${version} (${revision})\n`)
    return
  }
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
  res.end('not found\n')
})

server.listen(port, () => {
  console.log(`sample-app ${version} (${revision}) listening on port ${port}`)
})

// systemd stops the unit with SIGTERM: finish in-flight requests, then exit.
process.on('SIGTERM', () => {
  server.close(() => process.exit(0))
})
