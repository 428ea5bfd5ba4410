#!/usr/bin/env bash
# Makes the demo scratch detector end to end: synthetic data, training from scratch on CPU, ONNX
# export, INT8 quantization, evaluation on a held-out split, samples and reference outputs.
# Writes model-component/models/tag-scratch/{model.fp32.onnx,model.int8.onnx,metrics.json,samples,reference};
# data, checkpoints and logs go to .work/demo-model/ (gitignored). Prints the time of every step.
#
#   bash scripts/make-demo-model.sh                 # everything (well over an hour on 2 cores: see the model's README)
#   TRAIN_MINUTES=10 bash scripts/make-demo-model.sh  # shorter training
#
# Environment: PYTHON (default .venv/bin/python, with scripts/demo_model/requirements.txt installed),
# WORK (default .work/demo-model), TRAIN_COUNT (4488; training keeps them
# letterboxed in memory, S x S x 3 bytes each: 1.9 MB at 800), TEST_COUNT (500), TRAIN_MINUTES (52), THREADS (2),
# WIDTH (network width multiplier, 0.25 as YOLOv8n), SIZE (the
# model input size S, 800; export, quantization and evaluation read it from the model), INIT (a checkpoint to continue training from,
# or an FP32 ONNX export such as the committed model.fp32.onnx; default: from scratch), INIT_WIDTH (the
# width of the network in an INIT ONNX file, default WIDTH; a narrower INIT is widened to WIDTH, widen.py),
# EXTRA_DATA (a reviewed dataset from `edgeqc review export --out DIR`, trained on beside the generated
# images: the labels a person corrected in the review app go back into training; extra_data.py).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="${WORK:-$ROOT/.work/demo-model}"
MODEL_DIR="$ROOT/model-component/models/tag-scratch"
TRAIN_COUNT="${TRAIN_COUNT:-4488}"
TEST_COUNT="${TEST_COUNT:-500}"
TRAIN_MINUTES="${TRAIN_MINUTES:-52}"
WIDTH="${WIDTH:-0.25}"
SIZE="${SIZE:-800}"
THREADS="${THREADS:-2}"
TRAIN_SEED=1
TEST_SEED=2

mkdir -p "$WORK"
WORK="$(cd "$WORK" && pwd)"
# the steps run in scripts/: relative paths given by the caller are made absolute first
case "$PYTHON" in /*) ;; */*) PYTHON="$PWD/$PYTHON" ;; esac
if [ -n "${EXTRA_DATA:-}" ]; then
  EXTRA_DATA="$(cd "$EXTRA_DATA" && pwd)"
fi
if [ -n "${INIT:-}" ]; then
  INIT="$(cd "$(dirname "$INIT")" && pwd)/$(basename "$INIT")"
fi
cd "$ROOT/scripts"
# bfloat16 training where the CPU runs it natively (AVX512-BF16/AMX): more iterations in the same time
BF16_FLAG=""
if "$PYTHON" -c 'import sys, torch; sys.exit(0 if torch.ops.mkldnn._is_mkldnn_bf16_supported() else 1)' 2>/dev/null; then
  BF16_FLAG="--bf16"
fi
if [ -n "$BF16_FLAG" ]; then echo "== training precision: bfloat16 autocast"; else echo "== training precision: float32"; fi
T_ALL=$(date +%s)
step() {
  local name="$1"
  shift
  local t0
  t0=$(date +%s)
  echo "== $name"
  "$@"
  echo "== $name took $(($(date +%s) - t0)) s"
}

step "generate training set ($TRAIN_COUNT images, seed $TRAIN_SEED)" \
  "$PYTHON" -m demo_model.generator --out "$WORK/data/train" --seed "$TRAIN_SEED" --count "$TRAIN_COUNT" --workers "$THREADS"
step "generate test set ($TEST_COUNT images, seed $TEST_SEED)" \
  "$PYTHON" -m demo_model.generator --out "$WORK/data/test" --seed "$TEST_SEED" --count "$TEST_COUNT" --workers "$THREADS"
step "train ($TRAIN_MINUTES min budget)" \
  "$PYTHON" -m demo_model.train --data "$WORK/data/train" --work "$WORK" --minutes "$TRAIN_MINUTES" --threads "$THREADS" \
  --size "$SIZE" --width "$WIDTH" --lr 2e-3 --assigner centre $BF16_FLAG ${INIT:+--init "$INIT"} ${INIT_WIDTH:+--init-width "$INIT_WIDTH"} \
  ${EXTRA_DATA:+--extra-data "$EXTRA_DATA"}
step "export FP32 ONNX" \
  "$PYTHON" -m demo_model.export --checkpoint "$WORK/ckpt/final.pt" --out "$MODEL_DIR/model.fp32.onnx"
step "quantize INT8 (QDQ, U8 activations, S8 per-channel weights)" \
  "$PYTHON" -m demo_model.quantize --fp32 "$MODEL_DIR/model.fp32.onnx" --out "$MODEL_DIR/model.int8.onnx" \
  --calib-dir "$WORK/data/train/images" --calib-count 200 --report "$WORK/fusion.json"
step "evaluate on the test split" \
  "$PYTHON" -m demo_model.evaluate --fp32 "$MODEL_DIR/model.fp32.onnx" --int8 "$MODEL_DIR/model.int8.onnx" \
  --test "$WORK/data/test" --out "$MODEL_DIR/metrics.json" --extra "$WORK/fusion.json" "$WORK/training.json"
step "samples and reference outputs" \
  "$PYTHON" -m demo_model.samples --model-dir "$MODEL_DIR"
echo "== all done in $(($(date +%s) - T_ALL)) s"
