#!/usr/bin/env bash
# Rebuilds the embedded demo model (models/demo/): the temporal model (one model for still and moving
# letters), trained by the project's own commands on the public-domain ASL photos in
# ../shared/data/asl-letters-sample (David Lee, Roboflow Public), one signer, plus SYNTHETIC J and Z clips:
# the sample's I and D hands moved along each letter's path (recipes/demo_motion_clips.py). No recorded
# motion clips exist here; the card says so. A UkrSL folder of photos and clips goes through the same
# commands (without the synthetic step: its clips come from the Record tab).
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/asl-letters-sample}
WORK=${WORK:-runs/demo-temporal}
BIN=${BIN:-.venv/bin}

# One folder of letter folders: links to the photos (never copies), and the synthetic clips beside them.
rm -rf "$WORK/data"
for folder in "$DATA"/*/; do
  letter=$(basename "$folder")
  mkdir -p "$WORK/data/$letter"
  for photo in "$folder"*; do ln -s "$(realpath "$photo")" "$WORK/data/$letter/"; done
done
"$BIN/python" recipes/demo_motion_clips.py "$WORK/data"  # WORK/data/J, Z: 2 clips per I / D photo, seeded

# 70/15/15 (85/10/5 would leave ~1 test photo per letter on 720 photos); near-duplicates (pHash ≤ 8 bits)
# stay in one split, and so do the clips of one source photo; the hand stage runs here once and its
# landmarks travel in the split's columns.
"$BIN/sign-curate" split "$WORK/data" --out "$WORK/splits" --ratios 70,15,15 --seed 0 --force
"$BIN/sign-ml" train --kind temporal --data "$WORK/splits" --out "$WORK/run" --config configs/demo-temporal.yaml
"$BIN/sign-ml" evaluate "$WORK/run" --data "$WORK/splits" --split test
"$BIN/sign-ml" push "$WORK/run" --repo ukrsl-dactyl/asl-landmarks-demo --dry-run models/demo --split test \
  --license cc-by-4.0 \
  --credits 'Photos: "American Sign Language Letters" v1 by David Lee, via Roboflow Public (dataset README: Public Domain; Roboflow RF100 copy: CC BY 4.0). Prepared for ukrsl-dactyl: one copy per original photo, longest side 320 px. One signer: the model has seen one person'"'"'s hand. The J and Z clips are SYNTHETIC: the landmarks of the I and D photos moved along each letter'"'"'s path (recipes/demo_motion_clips.py), not recordings of anyone signing. Hand model: MediaPipe hand landmarker (Apache-2.0), bundled in curation/assets.'
# Thumbnails of the test photos, so a fresh clone (no ../shared) can show the evaluation and examples.
"$BIN/python" recipes/demo_thumbnails.py models/demo "$DATA"  # the clips have no picture: reported, skipped
