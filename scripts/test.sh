#!/usr/bin/env bash
# The test command of the README and of CI: installs what the tests need, builds, runs every suite
# (unit, integration against a real sshd, end to end on the local lab).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh
npm ci --no-audit --no-fund
npm test
