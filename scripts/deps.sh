#!/usr/bin/env bash
# Install every build, test and benchmark dependency from Debian's archive.
# Idempotent: a second run on a set-up machine only checks.
set -euo pipefail

PACKAGES=(
  # build
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libyaml-dev libuv1-dev libcap-ng-dev libseccomp-dev libjansson-dev
  libssl-dev libarchive-dev libcurl4-openssl-dev zlib1g-dev libmnl-dev
  # tests
  libcmocka-dev bats valgrind python3 python3-jsonschema python3-yaml
  busybox-static iproute2 procps util-linux bsdutils tar gzip xz-utils zstd
  strace e2fsprogs man-db
  # registry tests: a loopback registry (seeded with skopeo and umoci, below)
  docker-registry
  # `podman load` of `stack image save` archives (tests/cli/bld_podman_load.bats)
  podman
  # images and peers for benchmarks
  skopeo umoci
  debootstrap hyperfine crun runc
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Wait for another apt (an unattended upgrade, a second checkout's
  # deps.sh) instead of failing on its lock.
  lock=(-o DPkg::Lock::Timeout=600)
  apt-get "${lock[@]}" update -qq
  apt-get "${lock[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi
