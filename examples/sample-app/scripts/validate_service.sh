#!/usr/bin/env bash
# ValidateService: the deployment only succeeds if the new release answers its health check
# with the version that was just installed.
set -euo pipefail

url="http://127.0.0.1:${PORT:-3000}/health"
expected="$(node -p "require('/opt/sample-app/package.json').version")"

for attempt in $(seq 1 20); do
  if body="$(curl --fail --silent --show-error --max-time 2 "$url")"; then
    echo "Health check: $body"
    if [[ "$body" == *"\"version\":\"${expected}\""* ]]; then
      echo "sample-app ${expected} is healthy"
      exit 0
    fi
    echo "Expected version ${expected}; the server reports something else" >&2
    exit 1
  fi
  echo "Attempt ${attempt}/20: ${url} is not answering yet"
  sleep 3
done

echo "sample-app did not become healthy within 60 s" >&2
journalctl --unit sample-app.service --no-pager --lines 30 >&2 || true
exit 1
