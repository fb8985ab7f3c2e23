// Landmark features in JavaScript, exactly as sign_ml/landmarks.py computes them (FEATURE_VERSION 1):
// 21 normalized MediaPipe landmarks of a w×h frame → 290 numbers (canonical coordinates, all pairwise
// distances, the bend at each finger joint, the in-plane orientation as sin and cos). The arithmetic is
// double precision like numpy's; only the result is rounded to float32. tests/test_web_export.py checks
// it against Python on real landmarks.

export const FEATURE_VERSION = 1;
export const N_LANDMARKS = 21;
const WRIST = 0;
const KNUCKLES = [5, 9, 13, 17];
const MIDDLE_KNUCKLE = 9;
const FINGER_CHAINS = [
  [0, 1, 2, 3, 4],
  [0, 5, 6, 7, 8],
  [0, 9, 10, 11, 12],
  [0, 13, 14, 15, 16],
  [0, 17, 18, 19, 20],
];
const PAIRS = [];
for (let i = 0; i < N_LANDMARKS; i++) for (let j = i + 1; j < N_LANDMARKS; j++) PAIRS.push([i, j]);
const JOINTS = [];
for (const c of FINGER_CHAINS) for (let k = 1; k < 4; k++) JOINTS.push([c[k - 1], c[k], c[k + 1]]);
export const N_FEATURES = N_LANDMARKS * 3 + PAIRS.length + JOINTS.length + 2; // 290

/** lm: 63 numbers (x, y, z per landmark, as MediaPipe gives them); left: MediaPipe called it a left hand;
 * mirrorLeft: the model was trained with left hands mirrored into right ones. → Float32Array(290). */
export function handFeatures(lm, width, height, left = false, mirrorLeft = false) {
  const p = [];
  for (let k = 0; k < N_LANDMARKS; k++) {
    let x = lm[3 * k] * width;
    const y = lm[3 * k + 1] * height;
    const z = lm[3 * k + 2] * width; // z is in units of width, like x
    if (mirrorLeft && left) x = -x;
    p.push([x, y, z]);
  }
  // canonicalize: wrist at the origin, size 1, middle knuckle straight above the wrist
  const w0 = p[WRIST].slice();
  for (const q of p) for (let d = 0; d < 3; d++) q[d] -= w0[d];
  let size = 0;
  for (const k of KNUCKLES) size += Math.hypot(p[k][0], p[k][1], p[k][2]);
  size = Math.max(size / KNUCKLES.length, 1e-9);
  for (const q of p) for (let d = 0; d < 3; d++) q[d] /= size;
  const v = p[MIDDLE_KNUCKLE];
  const angle = Math.atan2(v[0], -v[1]);
  const c = Math.cos(angle), s = Math.sin(angle);
  const canon = p.map(([x, y, z]) => [c * x + s * y, -s * x + c * y, z]);
  const out = new Float32Array(N_FEATURES);
  let n = 0;
  for (const q of canon) for (let d = 0; d < 3; d++) out[n++] = q[d];
  for (const [i, j] of PAIRS) {
    out[n++] = Math.hypot(canon[i][0] - canon[j][0], canon[i][1] - canon[j][1], canon[i][2] - canon[j][2]);
  }
  for (const [i, j, k] of JOINTS) {
    const a = [0, 1, 2].map((d) => canon[i][d] - canon[j][d]);
    const b = [0, 1, 2].map((d) => canon[k][d] - canon[j][d]);
    const dot = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    out[n++] = dot / Math.max(Math.hypot(...a) * Math.hypot(...b), 1e-9);
  }
  out[n++] = Math.sin(angle);
  out[n++] = Math.cos(angle);
  return out;
}
