#!/usr/bin/env bash
# Makes assets/screenshot.png: the real window under Xvfb with a gallery downloaded from a local
# demo server (some images already in the folder, more downloading, one 404).
# Needs: xvfb, xdotool, imagemagick (apt-get install xvfb xdotool imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --example demo_server --bin magpie
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
export XDG_RUNTIME_DIR="$work/run"; mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
unset WAYLAND_DISPLAY WGPU_BACKEND

DEMO_LATENCY_MS=50 target/release/examples/demo_server "$work/first.txt" 18 &
for _ in $(seq 100); do [ -s "$work/first.txt" ] && break; sleep 0.1; done
out="$work/home/Pictures/Magpie"
grep -v missing "$work/first.txt" | target/release/magpie fetch --out "$out" - >/dev/null

DEMO_LATENCY_MS=700 target/release/examples/demo_server "$work/second.txt" 6 &
for _ in $(seq 100); do [ -s "$work/second.txt" ] && break; sleep 0.1; done
sed -i 's/landscape-/new-landscape-/' "$work/second.txt"

Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 &
export DISPLAY=:77
sleep 1
target/release/magpie "$out" &
wid=""
for _ in $(seq 100); do wid=$(xdotool search --name Magpie 2>/dev/null | head -1) && [ -n "$wid" ] && break; sleep 0.1; done
# Focusing before the window is mapped fails (BadMatch on X_SetInputFocus): give it time.
sleep 2
xdotool windowsize --sync "$wid" 1280 800 windowmove --sync "$wid" 0 0 windowfocus --sync "$wid"
sleep 1.5
# Click into the URL box, paste the second list, and download it.
xdotool mousemove 180 130 click 1
while read -r line; do xdotool type --delay 1 "$line"; xdotool key Return; done < "$work/second.txt"
sleep 0.5
xdotool key ctrl+Return
sleep 1.0
import -window root assets/screenshot.png
echo "wrote assets/screenshot.png"
