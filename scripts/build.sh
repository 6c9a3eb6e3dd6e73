#!/usr/bin/env bash
# Configure and build into build/ (or $BUILD_DIR); extra args go to cmake.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${BUILD_DIR:-build}
cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
cmake --build "$dir"
