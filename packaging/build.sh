#!/usr/bin/env bash
# Build the one-folder app with PyInstaller, then smoke-test it: packaging/build.sh [--no-smoke]
# Output: dist/playground/ (run dist/playground/playground), plus on Linux the desktop files and icons laid out as
# dist/playground/share/... for a system install (see install-linux.sh). Needs the project installed in the Python
# that runs it (pip install -e ".[package]").
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
start=$(date +%s)
"$PY" packaging/make_icons.py
"$PY" -m PyInstaller --noconfirm --clean --log-level WARN --distpath dist --workpath build/pyinstaller \
  packaging/playground.spec
version=$("$PY" -c "import playground; print(playground.__version__)")
if [ "$(uname -s)" = "Linux" ]; then
  share=dist/playground/share
  mkdir -p "$share/applications" "$share/metainfo"
  cp packaging/linux/org.nnplayground.Playground.desktop "$share/applications/"
  sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date +%F)/" packaging/linux/org.nnplayground.Playground.metainfo.xml \
    > "$share/metainfo/org.nnplayground.Playground.metainfo.xml"
  for png in packaging/icons/playground-*.png; do
    size=$(basename "$png" .png); size=${size#playground-}
    mkdir -p "$share/icons/hicolor/${size}x${size}/apps"
    cp "$png" "$share/icons/hicolor/${size}x${size}/apps/org.nnplayground.Playground.png"
  done
  cp packaging/install-linux.sh dist/playground/
fi
echo "build: playground $version in $(( $(date +%s) - start )) s, $(du -sh dist/playground | cut -f1) in dist/playground"
if [ "${1:-}" != "--no-smoke" ]; then
  packaging/smoke_test.sh dist/playground/playground
fi
