#!/usr/bin/env bash
# BeforeInstall: make sure Node.js and the service account exist, and clear the old release
# so the Install step never meets files it did not put there.
set -euo pipefail

if ! command -v node >/dev/null 2>&1; then
  if command -v dnf >/dev/null 2>&1; then
    echo "Installing Node.js"
    dnf install -y nodejs
  else
    echo "Node.js is not installed and dnf is not available: install Node.js 20 or later" >&2
    exit 1
  fi
fi
echo "Node.js $(node --version)"

if ! id -u sample-app >/dev/null 2>&1; then
  echo "Creating system user sample-app"
  useradd --system --no-create-home --shell /sbin/nologin sample-app
fi

# Install (run by the agent) recreates the directory from the bundle.
if [ -d /opt/sample-app ]; then
  echo "Removing the previous release from /opt/sample-app"
  rm -rf /opt/sample-app
fi
