#!/usr/bin/env bash
# Shows that the onnxq built here produces byte-identical results to the onnxq of an earlier commit: for
# restructurings that must not change behaviour. Builds BASE_REV in a scratch worktree, then runs both binaries on
#   - samples/digits: quantize (per channel, per tensor, 2 threads), run on the float and the QDQ model, inspect
#     (text and JSON), convert (inline and with external data);
#   - every torchvision export in MODELS_DIR (scripts/make-torch-models.py): the same commands;
#   - every model of the ONNX backend test data: inspect --json, run on test_data_set_0, quantize on its data sets;
# and compares every output file, stdout, stderr and exit status byte for byte.
#
#   scripts/check-identical.sh BASE_REV [MODELS_DIR]     (after ./scripts/setup.sh; build/ is the new binary)
#
# Exit status 0 when everything is identical; 1 and a list of differences otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
base_rev=${1:?usage: check-identical.sh BASE_REV [MODELS_DIR]}
models_dir=${2:-}
testdata=${ONNXQ_ONNX_TESTDATA:-/usr/share/libonnx-testdata/data}
new_bin=$root/${ONNXQ_BUILD_DIR:-build}/onnxq
sha=$(git rev-parse --short=12 "$base_rev^{commit}")
scratch=${TMPDIR:-/tmp}/onnxq-identical
base_src=$scratch/base-$sha
mkdir -p "$scratch"

if [ ! -x "$base_src/build/onnxq" ]; then
  rm -rf "$base_src"
  git worktree prune
  git worktree add --detach "$base_src" "$sha" >/dev/null
  cmake -S "$base_src" -B "$base_src/build" -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$base_src/build" -j"$(nproc)" --target onnxq_cli >/dev/null
fi
base_bin=$base_src/build/onnxq
# outputs go under this tree's build folder, so that checks of several trees can run at once
out=$root/${ONNXQ_BUILD_DIR:-build}/identical
rm -rf "$out"
mkdir -p "$out/base" "$out/new"

# run_both CASE ARGS...: runs both binaries; in ARGS, @OUT@ becomes the case's output folder of each side and @SIDE@
# that side's root (to read what the same side wrote in an earlier case)
n_cases=0
run_both() {
  local case=$1
  shift
  n_cases=$((n_cases + 1))
  for side in base new; do
    local bin=$base_bin
    [ $side = new ] && bin=$new_bin
    local d=$out/$side/$case
    mkdir -p "$d"
    local args=()
    for a in "$@"; do
      a=${a//@OUT@/$d}
      args+=("${a//@SIDE@/$out/$side}")
    done
    set +e
    "$bin" "${args[@]}" >"$d/.stdout" 2>"$d/.stderr"
    echo $? >"$d/.rc"
    set -e
    # the output folder's own path appears in messages: make both sides' text comparable
    sed -i "s#$out/$side/#OUT/#g" "$d/.stdout" "$d/.stderr"
  done
}

# model_cases NAME MODEL CALIB SAMPLE: the full set of commands on one model
model_cases() {
  local name=$1 model=$2 calib=$3 sample=$4
  run_both "$name/inspect" inspect "$model"
  run_both "$name/inspect_json" inspect "$model" --json
  run_both "$name/convert" convert "$model" -o @OUT@/copy.onnx
  run_both "$name/convert_ext" convert "$model" -o @OUT@/copy.onnx --external-data copy.weights --size-threshold 64
  run_both "$name/run" run "$model" --inputs "$sample" -o @OUT@/res
  run_both "$name/quantize" quantize "$model" --calib "$calib" -o @OUT@/q.onnx
  run_both "$name/quantize_pt" quantize "$model" --calib "$calib" -o @OUT@/q.onnx --per-tensor
  run_both "$name/quantize_t2" quantize "$model" --calib "$calib" -o @OUT@/q.onnx --threads 2
  # the QDQ model each side wrote, run by that same side
  run_both "$name/run_qdq" run "@SIDE@/$name/quantize/q.onnx" --inputs "$sample" -o @OUT@/res
}

model_cases digits samples/digits/model.onnx samples/digits/calib samples/digits/calib/sample_000
n_torch=0
if [ -n "$models_dir" ]; then
  for m in "$models_dir"/*/model.onnx; do
    d=$(dirname "$m")
    model_cases "torch/$(basename "$d")" "$m" "$d/calib" "$d/calib/sample_000"
    n_torch=$((n_torch + 1))
  done
fi
n_backend=0
for m in "$testdata"/*/*/model.onnx; do
  d=$(dirname "$m")
  name=backend/$(basename "$(dirname "$d")")/$(basename "$d")
  run_both "$name/inspect_json" inspect "$m" --json
  [ -d "$d/test_data_set_0" ] || continue
  # the data sets hold output_*.pb beside the inputs: copy the inputs alone into sample folders
  calib=$out/calib/$name
  if [ ! -d "$calib" ]; then
    for s in "$d"/test_data_set_*; do
      mkdir -p "$calib/$(basename "$s")"
      cp "$s"/input_*.pb "$calib/$(basename "$s")/" 2>/dev/null || true
    done
  fi
  run_both "$name/run" run "$m" --inputs "$calib/test_data_set_0" -o @OUT@/res
  run_both "$name/quantize" quantize "$m" --calib "$calib" -o @OUT@/q.onnx
  n_backend=$((n_backend + 1))
done

if diff -r "$out/base" "$out/new" >"$out/diff.txt" 2>&1; then
  n_files=$(find "$out/new" -type f | wc -l)
  n_q=$(find "$out/new" -name q.onnx | wc -l)
  echo "identical: $n_cases cases ($n_torch torchvision exports, $n_backend backend models with data), $n_files files" \
       "($n_q quantized models) byte for byte against $sha"
else
  echo "DIFFERENT from $sha:"
  head -50 "$out/diff.txt"
  exit 1
fi
