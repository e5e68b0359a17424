#!/usr/bin/env bash
# Install the built app for one user (default) or for all users (sudo ./install-linux.sh --system), from the folder
# this script lies in: the app under <prefix>/lib/playground, a `playground` command, the menu entry and icons.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=${HOME}/.local
[ "${1:-}" = "--system" ] && prefix=/usr/local
mkdir -p "$prefix/lib" "$prefix/bin" "$prefix/share"
rm -rf "$prefix/lib/playground"
cp -r "$here" "$prefix/lib/playground"
ln -sf "$prefix/lib/playground/playground" "$prefix/bin/playground"
cp -r "$here/share/." "$prefix/share/"
command -v update-desktop-database >/dev/null && update-desktop-database "$prefix/share/applications" || true
command -v gtk-update-icon-cache >/dev/null && gtk-update-icon-cache -q "$prefix/share/icons/hicolor" || true
echo "installed: $prefix/bin/playground (menu: Neural Network Playground)"
