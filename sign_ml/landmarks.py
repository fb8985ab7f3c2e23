"""Landmark features, defined once for training, evaluation, the predictor and the app (pure numpy).

A hand's 21 landmarks become a feature vector in three steps:
1. `to_points`: MediaPipe's normalized x, y (fractions of width and height) back to one isotropic scale, so
   a hand in a portrait photo is not squashed.
2. `canonicalize`: wrist at the origin, size 1 (mean wrist→knuckle distance), turned in the image plane so
   the middle finger's knuckle is straight above the wrist. The shape is then invariant to where the hand
   is, how large it is and how it is turned; the turn itself is kept as a separate feature (`angle`),
   because some letters differ mostly by orientation (ASL H and U, G and Q; UkrSL has such pairs too).
3. `features`: canonical coordinates, all pairwise distances, the bend at each finger joint, and the
   orientation as (sin, cos).

Mirroring (a left hand into a right hand) negates the canonical x and the angle and leaves distances and
bends alone, so it is a fixed sign flip of the feature vector (`mirror_signs`); the landmark model uses it
to be mirror-symmetric by construction.
"""

from __future__ import annotations

import numpy as np

N_LANDMARKS = 21
WRIST = 0
KNUCKLES = (5, 9, 13, 17)  # index, middle, ring and little finger MCP joints
MIDDLE_KNUCKLE = 9
# consecutive bones of each finger: the bend at a joint is the angle between the bones meeting there
FINGER_CHAINS = (
    (0, 1, 2, 3, 4),
    (0, 5, 6, 7, 8),
    (0, 9, 10, 11, 12),
    (0, 13, 14, 15, 16),
    (0, 17, 18, 19, 20),
)
_PAIRS = np.array([(i, j) for i in range(N_LANDMARKS) for j in range(i + 1, N_LANDMARKS)])  # (210, 2)
_JOINTS = np.array([(c[k - 1], c[k], c[k + 1]) for c in FINGER_CHAINS for k in range(1, 4)])  # (15, 3)
N_FEATURES = N_LANDMARKS * 3 + len(_PAIRS) + len(_JOINTS) + 2  # 63 + 210 + 15 + 2 = 290
FEATURE_VERSION = 1  # bump when the definition changes: a model stores the version it was trained with


def to_points(landmarks: np.ndarray, width: int | np.ndarray, height: int | np.ndarray) -> np.ndarray:
    """(..., 21, 3) normalized landmarks → the same in pixels (z, like x, in units of width)."""
    pts = np.asarray(landmarks, dtype=np.float64).copy()
    w = np.asarray(width, dtype=np.float64)[..., None]
    h = np.asarray(height, dtype=np.float64)[..., None]
    pts[..., 0] *= w
    pts[..., 1] *= h
    pts[..., 2] *= w
    return pts


def canonicalize(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(..., 21, 3) points → (canonical points (..., 21, 3), in-plane angle (...,) in radians).

    angle is 0 when the middle knuckle is straight above the wrist (image y grows downwards) and grows
    clockwise on screen. canonical = rotate(-angle) · (points - wrist) / size.
    """
    p = np.asarray(points, dtype=np.float64)
    p = p - p[..., WRIST : WRIST + 1, :]
    size = np.linalg.norm(p[..., KNUCKLES, :], axis=-1).mean(axis=-1)  # (...,)
    p = p / np.maximum(size, 1e-9)[..., None, None]
    v = p[..., MIDDLE_KNUCKLE, :2]
    angle = np.arctan2(v[..., 0], -v[..., 1])
    c, s = np.cos(angle)[..., None], np.sin(angle)[..., None]
    x, y = p[..., 0], p[..., 1]
    # rotate by -angle: the middle knuckle lands on the negative y axis
    out = p.copy()
    out[..., 0] = c * x + s * y
    out[..., 1] = -s * x + c * y
    return out, angle


def features(canonical: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """(..., 21, 3) canonical points and (...,) angles → (..., N_FEATURES) float32."""
    c = np.asarray(canonical, dtype=np.float64)
    coords = c.reshape(*c.shape[:-2], N_LANDMARKS * 3)
    dists = np.linalg.norm(c[..., _PAIRS[:, 0], :] - c[..., _PAIRS[:, 1], :], axis=-1)
    a = c[..., _JOINTS[:, 0], :] - c[..., _JOINTS[:, 1], :]
    b = c[..., _JOINTS[:, 2], :] - c[..., _JOINTS[:, 1], :]
    cos_bend = (a * b).sum(-1) / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-9)
    orient = np.stack([np.sin(angle), np.cos(angle)], axis=-1)
    return np.concatenate([coords, dists, cos_bend, orient], axis=-1).astype(np.float32)


def mirror_signs() -> np.ndarray:
    """(N_FEATURES,) of ±1: multiplying a feature vector by it gives the mirrored hand's features."""
    signs = np.ones(N_FEATURES, dtype=np.float32)
    signs[0 : N_LANDMARKS * 3 : 3] = -1.0  # canonical x
    signs[-2] = -1.0  # sin(angle)
    return signs


def mirror_points(points: np.ndarray) -> np.ndarray:
    """Mirror (..., 21, 3) points left-right (a left hand becomes a right hand)."""
    out = np.array(points, dtype=np.float64, copy=True)
    out[..., 0] = -out[..., 0]
    return out


def hand_features(
    landmarks: np.ndarray,
    width: int | np.ndarray,
    height: int | np.ndarray,
    left: bool | np.ndarray = False,
    mirror_left: bool = False,
) -> np.ndarray:
    """Normalized landmarks (..., 21, 3) of photos width×height → features (..., N_FEATURES).

    left: MediaPipe called the hand a left hand; mirror_left: mirror those into right hands first.
    """
    pts = to_points(landmarks, width, height)
    if mirror_left:
        flip = np.asarray(left, dtype=bool)
        pts = np.where(flip[..., None, None], mirror_points(pts), pts)
    return features(*canonicalize(pts))


# --- augmentation in landmark space (training only) ---


def _rotation(axis: int, theta: np.ndarray) -> np.ndarray:
    """(N, 3, 3) rotations by theta (N,) about axis 0 (x), 1 (y) or 2 (z, the image plane)."""
    c, s = np.cos(theta), np.sin(theta)
    r = np.zeros((len(theta), 3, 3))
    i, j = [k for k in range(3) if k != axis]
    r[:, axis, axis] = 1.0
    r[:, i, i], r[:, i, j], r[:, j, i], r[:, j, j] = c, -s, s, c
    return r


def augment_points(
    points: np.ndarray,
    rng: np.random.Generator,
    rotation_deg: float = 15.0,
    tilt_deg: float = 20.0,
    scale_jitter: float = 0.1,
    noise: float = 0.02,
) -> np.ndarray:
    """Random views of (N, 21, 3) pixel-space hands: turned in the image plane, tilted towards or away
    from the camera, stretched along x or y, and jittered (noise in units of hand size)."""
    p = np.asarray(points, dtype=np.float64)
    n = len(p)
    centre = p.mean(axis=1, keepdims=True)
    q = p - centre
    size = np.linalg.norm(q[:, KNUCKLES, :] - q[:, WRIST : WRIST + 1, :], axis=-1).mean(axis=-1)  # (N,)
    rot = _rotation(2, np.deg2rad(rng.uniform(-rotation_deg, rotation_deg, n)))
    rot = rot @ _rotation(0, np.deg2rad(rng.uniform(-tilt_deg, tilt_deg, n)))
    rot = rot @ _rotation(1, np.deg2rad(rng.uniform(-tilt_deg, tilt_deg, n)))
    q = np.einsum("nij,nkj->nki", rot, q)
    q[..., 0] *= rng.uniform(1 - scale_jitter, 1 + scale_jitter, n)[:, None]
    q[..., 1] *= rng.uniform(1 - scale_jitter, 1 + scale_jitter, n)[:, None]
    q += rng.normal(0.0, 1.0, q.shape) * (noise * size)[:, None, None]
    return q + centre
