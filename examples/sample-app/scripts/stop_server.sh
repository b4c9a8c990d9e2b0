#!/usr/bin/env bash
# ApplicationStop: stop the running release before its files are replaced.
set -euo pipefail

if systemctl list-unit-files sample-app.service --no-legend 2>/dev/null | grep -q sample-app; then
  echo "Stopping sample-app.service"
  systemctl stop sample-app.service
else
  echo "sample-app.service is not installed; nothing to stop"
fi
