#!/usr/bin/env bash
# Installs what onnxq needs on Debian 12 and builds it into build/ (or $ONNXQ_BUILD_DIR).
#
#   ./scripts/setup.sh
#
# Works as root (no sudo needed) or as a user with sudo. Environment:
#   ONNXQ_CMAKE_ARGS   extra arguments for the cmake configure step (e.g. "-DONNXQ_WERROR=ON")
#   ONNXQ_BUILD_DIR    build folder (default: build)
#   ONNXQ_SKIP_APT=1   do not touch system packages
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${ONNXQ_BUILD_DIR:-build}
# build tools, libraries onnxq links, ONNX test data and python modules for tests, node for the e2e checks
pkgs=(build-essential cmake pkg-config libprotobuf-c-dev protobuf-c-compiler libxxhash-dev libonnx-testdata
      python3-onnx python3-numpy clang-format git)
# calibration (issue 7): .npz via zlib, images via libpng + libjpeg-turbo; python3-pil writes test images;
# slurm-wlm + munge for the one-node Slurm test (ctest -L slurm)
pkgs+=(zlib1g-dev libpng-dev libjpeg62-turbo-dev python3-pil slurm-wlm munge)
# NodeSource's nodejs bundles npm and conflicts with Debian's npm package: only ask for what is missing
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

if [ "${ONNXQ_SKIP_APT:-0}" != 1 ]; then
  missing=()
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
      command -v sudo >/dev/null 2>&1 || { echo "setup.sh: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
      as_root=(sudo)
    fi
    echo "setup.sh: installing ${missing[*]}"
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
fi

# onnxruntime-node for the end-to-end checks, pinned by tests/e2e/package-lock.json. Its install script would
# download CUDA libraries; the CPU binaries ship inside the npm package, so skip that step.
if ! node -e '
  const l = require("./tests/e2e/package-lock.json").packages["node_modules/onnxruntime-node"];
  const i = require("./tests/e2e/node_modules/onnxruntime-node/package.json");
  process.exit(l && l.version === i.version ? 0 : 1);' >/dev/null 2>&1; then
  (cd tests/e2e && ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund)
fi

# shellcheck disable=SC2086  # ONNXQ_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build_dir" ${ONNXQ_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
echo "setup.sh: built $build_dir/onnxq"
