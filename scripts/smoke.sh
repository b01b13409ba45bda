#!/usr/bin/env bash
# Smoke check: the real window comes up under Xvfb and stays up for a few seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/magpie}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
mkdir -p "$HOME"
xvfb-run -a -s "-screen 0 1280x800x24" bash -c '
  "$0" "$1" & pid=$!
  sleep 6
  if ! kill -0 $pid 2>/dev/null; then wait $pid; echo "smoke: the window exited early (status $?)"; exit 1; fi
  kill $pid; wait $pid 2>/dev/null || true
  echo "smoke: the window came up and stayed up"
' "$bin" "$work/pictures"
