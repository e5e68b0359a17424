#!/usr/bin/env bash
# Smoke test of a built app, away from the source tree and any venv: it starts, trains a template headless through
# its own `playground train`, exports ONNX, and opens its window offscreen. Usage: smoke_test.sh PATH/TO/playground
set -euo pipefail
app=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
# Nothing of the project or its venv may be importable: the bundle must carry everything.
export PYTHONPATH= PYTHONHOME= PYTHONNOUSERSITE=1 PATH=/usr/bin:/bin QT_QPA_PLATFORM=offscreen
export PLAYGROUND_DATA_DIR="$work/data" XDG_CACHE_HOME="$work/cache" XDG_CONFIG_HOME="$work/config"
t0=$(date +%s%N)
"$app" --help >/dev/null 2>&1 || "$app" train --help >/dev/null
t1=$(date +%s%N)
cp "$(dirname "$app")/_internal/playground/resources/examples/spiral.json" lab.json
"$app" train lab.json --epochs 3 --out run --quiet
"$app" export run --format onnx --to spiral.onnx
test -s spiral.onnx
"$app" train "$(dirname "$app")/_internal/playground/resources/examples/tensorflow-playground-circle.json" --epochs 1 --out run2 \
  --quiet
# The window: starts offscreen with a template and is still up, without a traceback, after 10 s; then it is closed.
"$app" open --template lenet >window.log 2>&1 &
pid=$!
sleep 10
if ! kill -0 "$pid" 2>/dev/null || grep -q Traceback window.log; then
  echo "smoke: the window did not stay up:"; cat window.log; exit 1
fi
kill "$pid"; wait "$pid" 2>/dev/null || true
echo "smoke: ok (the CLI answers in $(( (t1 - t0) / 1000000 )) ms; trained, exported ONNX, opened the window)"
