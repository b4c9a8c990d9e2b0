#!/usr/bin/env bash
# AfterInstall: install production dependencies, record the deployment and install the unit.
set -euo pipefail

cd /opt/sample-app

# node_modules/ is left out of the bundle: install it here for this instance's platform.
if [ -f package-lock.json ]; then
  npm ci --omit=dev --no-audit --no-fund
fi

# CodeDeploy sets DEPLOYMENT_ID and DEPLOYMENT_GROUP_NAME for every hook.
echo "${DEPLOYMENT_ID:-unknown}" > REVISION
chown -R sample-app:sample-app /opt/sample-app

install -m 644 /opt/sample-app/sample-app.service /etc/systemd/system/sample-app.service
systemctl daemon-reload
systemctl enable sample-app.service
echo "Installed deployment ${DEPLOYMENT_ID:-unknown} for group ${DEPLOYMENT_GROUP_NAME:-unknown}"
