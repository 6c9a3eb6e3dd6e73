#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run the seeds' espresso stack as far
# as stack runs it today: install dependencies, build, validate the stack
# file, print its resolved form and its build order.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "espresso.sh: run as root"; exit 2; }
scripts/deps.sh
BUILD_DIR=build scripts/build.sh
ex=examples/espresso
[ -f "$ex/.env" ] || { cp "$ex/.env.example" "$ex/.env"; echo "espresso: created $ex/.env from .env.example"; }
stack=build/orchestrator/stack
echo "== stack config (resolved) =="
"$stack" -f "$ex/stack.yaml" config
echo "== build order =="
"$stack" -f "$ex/stack.yaml" config --build-order
