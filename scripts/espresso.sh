#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run the seeds' espresso stack:
# install dependencies, build stack, create examples/espresso/.env from
# .env.example if missing, build the four-image chain (debootstrap bookworm
# -> python3-pip3 -> flask112 -> espresso -> espresso-run; minutes the
# first time, cached after), start it detached and wait until its health
# check on port 5000 passes, then say where it is and how to stop it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "espresso.sh: run as root (containers, cgroups, mounts)"; exit 2; }
scripts/deps.sh
BUILD_DIR=build scripts/build.sh
ex=examples/espresso
# .env gets a SECRET_KEY of its own: a copy of the committed example would
# be no secret (and the build refuses to copy the example, whose bytes
# would then be the secret's, into the image).
if [ ! -f "$ex/.env" ]; then
	key=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
	sed "s/^SECRET_KEY=.*/SECRET_KEY=$key/" "$ex/.env.example" >"$ex/.env"
	echo "espresso: created $ex/.env from .env.example, with a random SECRET_KEY"
fi
stack() { build/orchestrator/stack -f "$ex/stack.yaml" "$@"; }

echo "== stack build (debootstrap and apt-get take minutes the first time) =="
stack build --progress plain
echo "== stack up -d --wait =="
stack up -d --wait --wait-timeout 120
echo
echo "espresso is up: http://127.0.0.1:5055/ (health: http://127.0.0.1:5055/health)"
stack ps
echo
echo "logs:  build/orchestrator/stack -f $ex/stack.yaml logs -f"
echo "stop:  build/orchestrator/stack -f $ex/stack.yaml down"
