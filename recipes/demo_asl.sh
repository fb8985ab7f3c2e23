#!/usr/bin/env bash
# Rebuilds the embedded demo model (models/demo/) with the project's own commands, from the
# public-domain ASL photos in ../shared/data/asl-letters-sample (David Lee, Roboflow Public).
# A UkrSL photo folder goes through exactly the same four commands.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/asl-letters-sample}
WORK=${WORK:-runs/demo-asl}
BIN=${BIN:-.venv/bin}

# 70/15/15 (not the thesis's 85/10/5, which leaves ~1 test photo per letter on 720 photos);
# group-aware: near-duplicate photos (pHash ≤ 8 bits) stay in one split.
"$BIN/sign-curate" split "$DATA" --out "$WORK/splits" --ratios 70,15,15 --seed 0 --force
"$BIN/sign-ml" train --data "$WORK/splits" --out "$WORK/run" --config configs/demo-asl.yaml
"$BIN/sign-ml" evaluate "$WORK/run" --data "$WORK/splits" --split test
"$BIN/sign-ml" push "$WORK/run" --repo ukrsl-dactyl/asl-demo --dry-run models/demo --split test \
  --license cc-by-4.0 \
  --credits 'Photos: "American Sign Language Letters" v1 by David Lee, via Roboflow Public (dataset README: Public Domain; Roboflow RF100 copy: CC BY 4.0). Prepared for ukrsl-dactyl: one copy per original photo, longest side 320 px.'
