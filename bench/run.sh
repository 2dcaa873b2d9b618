#!/usr/bin/env bash
# Benchmarks onnxq's executor against onnxruntime-node on the same models, inputs and thread counts, in one run,
# and prints medians and ratios (bench/README.md).
#
#   bench/run.sh [--threads N[,N...]] [--runs R] [--rounds K] [--warmup W] [--calib-runs C] [--build-dir DIR]
#
#   --threads     thread counts to measure (default 1); ours: session threads / calibration workers,
#                 onnxruntime: intraOpNumThreads (interOpNumThreads 1)
#   --runs        timed runs per process (default 30), after --warmup untimed ones (default 5)
#   --rounds      rounds; each round runs every (model, threads) once in ours and once in onnxruntime,
#                 alternating which goes first (default 5). Reported: median over rounds of per-process medians.
#   --calib-runs  repetitions of each timed calibration per round (default 3, after 1 warm-up); reported: median
#                 over rounds of each process's median samples/s
#   --build-dir   CMake build folder (default build/; configured if empty, built if out of date)
#   --models      comma-separated subset of the model names below (default: all)
#   --no-calib    skip the calibration timings
#
# Models: tiny digits digits_qdq mlp cnn cnn_qdq (small, per-call costs) and issue 6's speed table: resnet18
# mobilenet_v2 shufflenet_v2_x1_0 efficientnet_b0 squeezenet1_1 transformer lstm (torch exports, batch 1). A model
# onnxq cannot run yet is reported as failing (with its error) instead of stopping the run.
#
# Needs cmake + a C compiler, /usr/bin/python3 with torch/onnx/numpy (model generation) and onnxruntime-node
# in tests/e2e/node_modules ((cd tests/e2e && npm ci)). Raw results: <build>/bench/results.jsonl.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
THREADS=1
RUNS=30
ROUNDS=5
WARMUP=5
CALIB_RUNS=3
BUILD=$ROOT/build
ONLY=
CALIB=1

die() { echo "bench/run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) THREADS=${2:?--threads needs a value}; shift 2 ;;
    --runs) RUNS=${2:?--runs needs a value}; shift 2 ;;
    --rounds) ROUNDS=${2:?--rounds needs a value}; shift 2 ;;
    --warmup) WARMUP=${2:?--warmup needs a value}; shift 2 ;;
    --calib-runs) CALIB_RUNS=${2:?--calib-runs needs a value}; shift 2 ;;
    --build-dir) BUILD=${2:?--build-dir needs a value}; shift 2 ;;
    --models) ONLY=${2:?--models needs a value}; shift 2 ;;
    --no-calib) CALIB=0; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
for v in "$RUNS" "$ROUNDS" "$CALIB_RUNS"; do [[ "$v" =~ ^[1-9][0-9]*$ ]] || die "counts must be positive integers"; done
[[ "$WARMUP" =~ ^[0-9]+$ ]] || die "--warmup must be a non-negative integer"
[[ "$THREADS" =~ ^[1-9][0-9]*(,[1-9][0-9]*)*$ ]] || die "--threads takes N or N,N,..."
IFS=, read -r -a THREAD_LIST <<<"$THREADS"
case "$BUILD" in /*) ;; *) BUILD=$PWD/$BUILD ;; esac

PY=/usr/bin/python3
[ -x "$PY" ] || die "$PY not found (Debian python3 with python3-torch, python3-onnx, python3-numpy)"
command -v node >/dev/null || die "node not found"
[ -d "$ROOT/tests/e2e/node_modules/onnxruntime-node" ] ||
  die "onnxruntime-node missing: run (cd tests/e2e && npm ci)"

# Build (incremental; a fresh folder is configured as a plain release-with-debug-info build).
if [ ! -f "$BUILD/CMakeCache.txt" ]; then
  cmake -S "$ROOT" -B "$BUILD" >/dev/null
fi
cmake --build "$BUILD" --target onnxq_bench onnxq_cli -j"$(nproc)" >/dev/null || die "build failed in $BUILD"
BENCH=$BUILD/onnxq_bench
CLI=$BUILD/onnxq
OUT=$BUILD/bench
mkdir -p "$OUT"

# Models: regenerated when the generator changed; quantized models are made by onnxq itself.
if [ ! -f "$OUT/.stamp" ] || [ "$ROOT/bench/make_models.py" -nt "$OUT/.stamp" ]; then
  "$PY" "$ROOT/bench/make_models.py" "$OUT" --calib-samples 64 >&2
  touch "$OUT/.stamp"
fi
DIGITS=$ROOT/samples/digits
mkdir -p "$OUT/digits_qdq" "$OUT/cnn_qdq"
"$CLI" quantize "$DIGITS/model.onnx" --calib "$DIGITS/calib" -o "$OUT/digits_qdq/model.onnx" >&2
"$CLI" quantize "$OUT/cnn/model.onnx" --calib "$OUT/cnn/calib" -o "$OUT/cnn_qdq/model.onnx" >&2

# name|model|sample folder
MODELS=(
  "tiny|$OUT/tiny/model.onnx|$OUT/tiny/sample"
  "digits|$DIGITS/model.onnx|$DIGITS/calib/sample_000"
  "digits_qdq|$OUT/digits_qdq/model.onnx|$DIGITS/calib/sample_000"
  "mlp|$OUT/mlp/model.onnx|$OUT/mlp/sample"
  "cnn|$OUT/cnn/model.onnx|$OUT/cnn/sample"
  "cnn_qdq|$OUT/cnn_qdq/model.onnx|$OUT/cnn/sample"
)
for z in resnet18 mobilenet_v2 shufflenet_v2_x1_0 efficientnet_b0 squeezenet1_1 transformer lstm; do
  MODELS+=("$z|$OUT/$z/model.onnx|$OUT/$z/sample")
done
if [ -n "$ONLY" ]; then
  keep=()
  for entry in "${MODELS[@]}"; do
    case ",$ONLY," in *",${entry%%|*},"*) keep+=("$entry") ;; esac
  done
  [ ${#keep[@]} -gt 0 ] || die "--models matched none of the models"
  MODELS=("${keep[@]}")
fi

RESULTS=$OUT/results.jsonl
: >"$RESULTS"
# Appends one result line, tagged with the short model name and the round; a failing command (a model with an
# operator onnxq does not have yet) is recorded with its last error line instead.
record() { # name round command...
  local name=$1 round=$2 line
  shift 2
  if line=$("$@" 2>"$OUT/.stderr"); then
    echo "{\"name\":\"$name\",\"round\":$round,\"result\":$line}" >>"$RESULTS"
  else
    "$PY" -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "round": int(sys.argv[2]), "error": sys.argv[3]}))' \
      "$name" "$round" "$(tail -n 1 "$OUT/.stderr" | cut -c1-300)" >>"$RESULTS"
  fi
}
ours() { record "$1" "$2" "$BENCH" "$3" "$4" --threads "$5" --warmup "$WARMUP" --runs "$RUNS"; }
ort() { record "$1" "$2" node "$ROOT/bench/bench_ort.mjs" "$3" "$4" --threads "$5" --warmup "$WARMUP" --runs "$RUNS"; }

for ((r = 1; r <= ROUNDS; r++)); do
  echo "round $r/$ROUNDS" >&2
  for entry in "${MODELS[@]}"; do
    IFS='|' read -r name model sample <<<"$entry"
    for t in "${THREAD_LIST[@]}"; do
      if ((r % 2)); then
        ours "$name" "$r" "$model" "$sample" "$t"
        ort "$name" "$r" "$model" "$sample" "$t"
      else
        ort "$name" "$r" "$model" "$sample" "$t"
        ours "$name" "$r" "$model" "$sample" "$t"
      fi
    done
  done
  # Calibration throughput (ours only: onnxruntime has no counterpart), once per round as well.
  [ "$CALIB" = 1 ] || continue
  for t in "${THREAD_LIST[@]}"; do
    record digits "$r" "$BENCH" --calib "$DIGITS/model.onnx" "$DIGITS/calib" --threads "$t" --warmup 1 \
      --runs "$CALIB_RUNS"
    record cnn "$r" "$BENCH" --calib "$OUT/cnn/model.onnx" "$OUT/cnn/calib" --threads "$t" --warmup 1 --runs "$CALIB_RUNS"
  done
done

# One profile per model at the first thread count: where our time goes (observer-timed, separate runs).
for entry in "${MODELS[@]}"; do
  IFS='|' read -r name model sample <<<"$entry"
  record "$name" 0 "$BENCH" "$model" "$sample" --threads "${THREAD_LIST[0]}" --warmup "$WARMUP" --runs "$RUNS" \
    --profile
done

COMMIT=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ]; then COMMIT="$COMMIT+dirty"; fi
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
BUILD_TYPE=$(sed -n 's/^CMAKE_BUILD_TYPE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} # the project's default when the cache leaves it empty
NATIVE=$(sed -n 's/^ONNXQ_NATIVE:[A-Z]*=//p' "$BUILD/CMakeCache.txt")
"$PY" "$ROOT/bench/summarize.py" "$RESULTS" --meta "date=$(date -u +%Y-%m-%d)" --meta "commit=$COMMIT" \
  --meta "cpu=${CPU:-?}" --meta "cores=$(nproc)" --meta "build=$BUILD_TYPE" --meta "native=${NATIVE:-OFF}" \
  --meta "runs=$RUNS" --meta "rounds=$ROUNDS" --meta "warmup=$WARMUP"
