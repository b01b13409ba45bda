#!/usr/bin/env bash
# What the window costs while a long list downloads (not a test): the real window under Xvfb,
# a list of COUNT images (default 1000) pasted and downloaded from the demo server on loopback,
# then the wall time and the CPU of each kind of thread (the UI thread is "magpie"; Xvfb's
# software renderer, llvmpipe, stands in for a GPU and is what every frame drawn costs here).
# Run it twice or more: this machine is shared. APP_BIN=path runs another build of magpie.
# Needs: xvfb, xdotool, xclip (apt-get install xvfb xdotool xclip).
set -euo pipefail
cd "$(dirname "$0")/.."
count=${COUNT:-1000}
cargo build --release --example demo_server --bin magpie
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
export HOME="$work/home" XDG_CONFIG_HOME="$work/config" XDG_DATA_HOME="$work/data"
export XDG_CACHE_HOME="$work/cache" XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"; chmod 700 "$XDG_RUNTIME_DIR"
unset WAYLAND_DISPLAY WGPU_BACKEND

DEMO_LATENCY_MS=50 target/release/examples/demo_server "$work/list.txt" "$count" 2>/dev/null &
for _ in $(seq 100); do [ -s "$work/list.txt" ] && break; sleep 0.1; done
grep -v missing "$work/list.txt" > "$work/images.txt"

Xvfb :78 -screen 0 1400x900x24 >/dev/null 2>&1 &
xvfb=$!
export DISPLAY=:78
sleep 1
"${APP_BIN:-target/release/magpie}" "$work/out" >/dev/null 2>&1 &
app=$!
wid=""
for _ in $(seq 100); do wid=$(xdotool search --name Magpie 2>/dev/null | head -1) && [ -n "$wid" ] && break; sleep 0.1; done
sleep 2 # focusing before the window is mapped fails
xdotool windowsize --sync "$wid" 1400 900 windowmove --sync "$wid" 0 0
xdotool windowfocus --sync "$wid"
xclip -selection clipboard -i "$work/images.txt" 2>/dev/null
xdotool mousemove 180 110 click 1
sleep 0.3
xdotool key ctrl+v
sleep 1

cpu() { awk '{print $14 + $15}' "$1"; }
xvfb_before=$(cpu /proc/$xvfb/stat)
start=$(date +%s.%N)
xdotool key ctrl+Return
# The title reads "Magpie — 0 images" before, "… downloaded" during, "Magpie — N images" after.
until xdotool getwindowname "$wid" | grep -q "— [1-9][0-9,]* images"; do sleep 0.1; done
end=$(date +%s.%N)
ticks=$(getconf CLK_TCK)
echo "Window, $count images downloaded (50 ms latency), 1400×900 under Xvfb"
echo "wall $(echo "$end - $start" | bc) s"
for t in /proc/$app/task/*; do
  echo "$(sed 's/-[0-9]*$//' "$t/comm") $(cpu "$t/stat")"
done | awk -v hz="$ticks" '{a[$1] += $2} END {for (k in a) if (a[k] > 0) printf "  %-14s %6.2f s CPU\n", k, a[k] / hz}' | sort -k2 -rn
echo "  Xvfb           $(echo "($(cpu /proc/$xvfb/stat) - $xvfb_before) / $ticks" | bc -l | cut -c1-5) s CPU"
