#!/usr/bin/env bash
# ApplicationStart: start the new release.
set -euo pipefail

systemctl restart sample-app.service
systemctl --no-pager --lines=0 status sample-app.service
