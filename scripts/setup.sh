#!/usr/bin/env bash
# Install what cohort needs on a fresh Debian 12 machine: system packages (libtorch + OpenBLAS, cmake,
# nats-server, Ceph's mon/OSD/RADOS Gateway for the S3 tests started by scripts/s3-up.sh, DejaVu fonts for
# the devnet report's plots) and pnpm.
# Idempotent: when everything is present it only checks, in about a second.
set -euo pipefail

PNPM_VERSION=12.21.0
APT_PACKAGES=(cmake libtorch-dev libopenblas0-pthread nats-server ceph-mon ceph-osd radosgw ceph-common fonts-dejavu-core)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "setup: need root (or sudo) to run: $*" >&2
    exit 1
  fi
}

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} (apt)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Without OpenBLAS libtorch falls back to the reference BLAS (about 30x slower): make sure it is the one in use.
if ! update-alternatives --query libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep -q '^Value: .*openblas'; then
  blas=$(update-alternatives --list libblas.so.3-x86_64-linux-gnu 2>/dev/null | grep openblas | head -n1 || true)
  if [ -n "$blas" ]; then as_root update-alternatives --set libblas.so.3-x86_64-linux-gnu "$blas" >/dev/null; fi
fi

if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION (npm; corepack fails its signature check here)"
  as_root npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null
fi

command -v nvcc >/dev/null || [ -x /usr/local/cuda/bin/nvcc ] || echo "setup: nvcc not found: CUDA kernels will not be compiled (CPU build only)"
