#!/usr/bin/env bash
# The GPU check in one command (figures: benchmarks/gpu_check.py). Under 8 minutes on one H100/H200;
# GPU_CHECK_TINY=1 runs it in seconds on a CPU. Extra arguments go to gpu_check.py.
# Uses the python3 on the PATH as it is (on the lent GPU machine: the one that holds torch); no venv.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
LIMIT="${GPU_CHECK_LIMIT_S:-470}"  # seconds: stop before a short lease runs out; lines printed so far stand
"$PYTHON" -c 'import torch, torchvision, onnx, onnxruntime, numpy, PIL, pandas, safetensors, yaml, tqdm' \
  || { echo "gpu_check: $PYTHON lacks one of torch, torchvision, onnx, onnxruntime, numpy, pillow, pandas, safetensors, pyyaml, tqdm" >&2; exit 2; }
if [ "${GPU_CHECK_TINY:-0}" != "1" ]; then
  "$PYTHON" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
    || { echo "gpu_check: no CUDA device (GPU_CHECK_TINY=1 runs the tiny CPU version)" >&2; exit 2; }
  command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | sed 's/^/# /'
fi
exec timeout --signal=INT "$LIMIT" env PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" GLOG_minloglevel=2 \
  "$PYTHON" -u benchmarks/gpu_check.py "$@"
