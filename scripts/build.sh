#!/bin/bash
# build.sh [BUILD_DIR] - configures (once) and builds kvmem with meson+ninja.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build}
[ -f "$dir/build.ninja" ] || meson setup "$dir" >/dev/null
ninja -C "$dir"
