#!/usr/bin/env bash
# Rebuilds the embedded demo model (models/demo/): the landmark model, trained by the project's own
# commands on the public-domain ASL photos in ../shared/data/asl-letters-sample (David Lee, Roboflow
# Public), one signer. A UkrSL photo folder goes through exactly the same commands.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/asl-letters-sample}
WORK=${WORK:-runs/demo-landmarks}
BIN=${BIN:-.venv/bin}

# 70/15/15 (85/10/5 would leave ~1 test photo per letter on 720 photos); near-duplicates (pHash ≤ 8 bits)
# stay in one split; the hand stage runs here once and its landmarks travel in the split's columns.
"$BIN/sign-curate" split "$DATA" --out "$WORK/splits" --ratios 70,15,15 --seed 0 --force
"$BIN/sign-ml" train --kind landmarks --data "$WORK/splits" --out "$WORK/run" --config configs/demo-landmarks.yaml
"$BIN/sign-ml" evaluate "$WORK/run" --data "$WORK/splits" --split test
"$BIN/sign-ml" push "$WORK/run" --repo ukrsl-dactyl/asl-landmarks-demo --dry-run models/demo --split test \
  --license cc-by-4.0 \
  --credits 'Photos: "American Sign Language Letters" v1 by David Lee, via Roboflow Public (dataset README: Public Domain; Roboflow RF100 copy: CC BY 4.0). Prepared for ukrsl-dactyl: one copy per original photo, longest side 320 px. One signer: the model has seen one person'"'"'s hand. Hand model: MediaPipe hand landmarker (Apache-2.0), bundled in curation/assets.'
# Thumbnails of the test photos, so a fresh clone (no ../shared) can show the evaluation and examples.
"$BIN/python" recipes/demo_thumbnails.py models/demo "$DATA"
