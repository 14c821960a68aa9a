#!/usr/bin/env bash
# Start N Switchyard offload servers behind nginx on this machine (foreground; Ctrl-C stops all).
#   scripts/fleet.sh [--servers 3] [--port 8080] [--token T] [-- serve options, e.g. --workers 2]
# Needs nginx (Debian: nginx-light, installed by `npm run setup`) and a build (`npm run build`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] || npm run build
exec node bin/switchyard.js fleet "$@"
