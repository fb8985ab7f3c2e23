#!/usr/bin/env bash
# Rebuilds the thesis-style comparison model (models/asl-mobilenet/): MobileNetV3-Large from scratch on the
# whole photos of the public-domain ASL sample in ../shared/data/asl-letters-sample (David Lee, Roboflow
# Public). It was the embedded demo before the hand stage; it stays for comparison with the landmark model
# (recipes/demo_asl.sh), which reads hands it has never seen far better.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/asl-letters-sample}
WORK=${WORK:-runs/asl-mobilenet}
BIN=${BIN:-.venv/bin}

# 70/15/15 (not the thesis's 85/10/5, which leaves ~1 test photo per letter on 720 photos);
# group-aware: near-duplicate photos (pHash ≤ 8 bits) stay in one split.
"$BIN/sign-curate" split "$DATA" --out "$WORK/splits" --ratios 70,15,15 --seed 0 --force
"$BIN/sign-ml" train --kind image --data "$WORK/splits" --out "$WORK/run" --config configs/asl-mobilenet.yaml
"$BIN/sign-ml" evaluate "$WORK/run" --data "$WORK/splits" --split test
"$BIN/sign-ml" push "$WORK/run" --repo ukrsl-dactyl/asl-mobilenet --dry-run models/asl-mobilenet --split test \
  --license cc-by-4.0 \
  --credits 'Photos: "American Sign Language Letters" v1 by David Lee, via Roboflow Public (dataset README: Public Domain; Roboflow RF100 copy: CC BY 4.0). Prepared for ukrsl-dactyl: one copy per original photo, longest side 320 px.'
