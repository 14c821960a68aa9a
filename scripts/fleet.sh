#!/usr/bin/env bash
# Start N Switchyard offload servers behind nginx on this machine (foreground; Ctrl-C stops all).
#   scripts/fleet.sh [N=3] [serve options, e.g. --port 8080 --token T --workers 2]
# Needs nginx (Debian: nginx-light, installed by `npm run setup`) and a build (`npm run build`).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/src/cli/main.js ] || npm run build
n=3
if [[ "${1:-}" =~ ^[0-9]+$ ]]; then n=$1; shift; fi
exec node bin/switchyard.js serve --fleet "$n" "$@"
