"""Clip features for motion letters (pure numpy), beside the still-hand features in `sign_ml/landmarks.py`.

A clip is (T, 21, 3) landmarks in isotropic pixels (`clip_points` converts MediaPipe's fractions, as
`landmarks.to_points` does) with a NaN row for every frame with no hand, plus timestamps (T,) in seconds.
It becomes:
- per-frame landmark features: `landmarks.features` of each frame with a hand (the handshape, unchanged);
- a trajectory: the wrist's and the fingertips' displacements from where they started, expressed in the
  hand's own frame at the clip's start (the first frame with a hand: wrist at the origin, unit hand size,
  middle knuckle up, exactly `landmarks.canonicalize`'s frame), plus the hand's in-plane turn since the
  start, resampled to `STEPS` evenly spaced times over the span the hand was seen (linear interpolation
  across frames without a hand). Displacements, not positions, so a still (one frame, or a hand held
  still) is all zeros and the handshape stays in the per-frame features;
- a summary: path length, net displacement and signed turning of each tracked point's path, and the
  hand's total and net turn.
Because the frame comes from the hand itself, the trajectory is invariant to where the whole clip is in
the image, how large and how turned in the image plane. Mirroring every frame (x → -x) negates the
x displacements, the turn's sine and the signed turnings: a fixed sign flip (`clip_mirror_signs`), as
`landmarks.mirror_signs` is for a still.

Augmentation helpers (training only) change speed (time warp), start phase (crop) and path size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sign_ml.landmarks import KNUCKLES, WRIST, canonicalize, features, mirror_signs, to_points

TRAJECTORY_VERSION = 1  # bump when the definition changes, as landmarks.FEATURE_VERSION
STEPS = 16  # resampled time steps of a trajectory
TRACKED = (0, 4, 8, 12, 16, 20)  # wrist and the five fingertips
STEP_WIDTH = (
    len(TRACKED) * 3 + 2
)  # displacements (x, y, z) of each tracked point, then sin and 1 - cos of the turn
N_SUMMARY = 3 * len(TRACKED) + 2  # path lengths, net displacements, signed path turnings; total and net turn
# steps whose length (hand sizes) is well below this barely count towards turning: the heading of a
# hand held still is jitter, not a curve
_TURN_EPS = 0.02


def n_clip_features(steps: int = STEPS) -> int:
    """Length of `ClipFeatures.vector()` for trajectories of `steps` steps."""
    return steps * STEP_WIDTH + N_SUMMARY


@dataclass(frozen=True)
class ClipFeatures:
    frames: np.ndarray  # (T_hand, N_FEATURES) float32: landmarks.features of each frame with a hand
    frame_times: np.ndarray  # (T_hand,) seconds of those frames
    trajectory: np.ndarray  # (steps, STEP_WIDTH) float32
    summary: np.ndarray  # (N_SUMMARY,) float32

    def vector(self) -> np.ndarray:
        """Trajectory and summary as one (n_clip_features(steps),) float32 vector."""
        return np.concatenate([self.trajectory.ravel(), self.summary]).astype(np.float32)


def clip_points(landmarks: np.ndarray, width: int, height: int) -> np.ndarray:
    """(T, 21, 3) normalized landmarks of a width×height video → pixels; NaN rows stay NaN."""
    return to_points(landmarks, width, height)


def hand_mask(points: np.ndarray) -> np.ndarray:
    """(T,) True for frames whose 21 landmarks are all finite (a frame with any NaN has no hand)."""
    return np.all(np.isfinite(np.asarray(points, dtype=np.float64)), axis=(-2, -1))


def validate_clip(
    points: np.ndarray, times: np.ndarray, source: str = "clip"
) -> tuple[np.ndarray, np.ndarray]:
    """Check a clip's shapes and timestamps; return them as float64. ValueError names `source`."""
    p = np.asarray(points, dtype=np.float64)
    t = np.asarray(times, dtype=np.float64)
    if p.ndim != 3 or p.shape[1:] != (21, 3) or len(p) == 0:
        raise ValueError(f"{source}: landmarks must have shape (frames, 21, 3), got {p.shape}")
    if t.shape != (len(p),):
        raise ValueError(f"{source}: {len(p)} frames but timestamps of shape {t.shape}")
    if not np.all(np.isfinite(t)) or np.any(np.diff(t) <= 0):
        raise ValueError(f"{source}: timestamps must be finite and strictly increasing")
    if not hand_mask(p).any():
        raise ValueError(f"{source}: no frame has a hand")
    return p, t


def still_clip(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A photo's (21, 3) points as a clip of one frame at t = 0."""
    return np.asarray(points, dtype=np.float64)[None], np.zeros(1)


def _start_frame(p0: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Origin (3,), size and in-plane angle of one hand: the frame landmarks.canonicalize puts it in."""
    origin = p0[WRIST]
    size = float(np.linalg.norm(p0[list(KNUCKLES)] - origin, axis=-1).mean())
    _, angle = canonicalize(p0)
    return origin, max(size, 1e-9), float(angle)


def _to_frame(points: np.ndarray, origin: np.ndarray, size: float, angle: float) -> np.ndarray:
    """(..., 3) points → the frame of (origin, size, angle), with canonicalize's rotation."""
    q = (points - origin) / size
    c, s = np.cos(angle), np.sin(angle)
    out = q.copy()
    out[..., 0] = c * q[..., 0] + s * q[..., 1]
    out[..., 1] = -s * q[..., 0] + c * q[..., 1]
    return out


def _interp_columns(new_t: np.ndarray, t: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Linear interpolation of each column of values (T, ...) at new_t; ends are held."""
    flat = values.reshape(len(t), -1)
    out = np.stack([np.interp(new_t, t, flat[:, k]) for k in range(flat.shape[1])], axis=-1)
    return out.reshape(len(new_t), *values.shape[1:])


def _signed_turning(path: np.ndarray) -> np.ndarray:
    """(steps, P, 2) paths → (P,) sum of the sines of the signed heading changes, short steps damped.

    For a smooth curve this is its total signed turn in radians; the sine rather than the angle keeps it
    continuous where a path nearly doubles back (a Z's corners), so jitter cannot flip a turn's sign."""
    v = np.diff(path, axis=0)  # (steps - 1, P, 2)
    a, b = v[:-1], v[1:]
    cross = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    m = np.minimum(np.linalg.norm(a, axis=-1), np.linalg.norm(b, axis=-1))
    weight = m**2 / (m**2 + _TURN_EPS**2)
    sine = cross / np.maximum(np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1), 1e-12)
    return (sine * weight).sum(axis=0)


def trajectory_features(
    points: np.ndarray, times: np.ndarray, steps: int = STEPS, source: str = "clip"
) -> tuple[np.ndarray, np.ndarray]:
    """A clip → (trajectory (steps, STEP_WIDTH), summary (N_SUMMARY,)), both float32."""
    if steps < 2:
        raise ValueError(f"steps must be at least 2, got {steps}")
    p, t = validate_clip(points, times, source)
    mask = hand_mask(p)
    p, t = p[mask], t[mask]
    origin, size, angle0 = _start_frame(p[0])
    local = _to_frame(p[:, list(TRACKED)], origin, size, angle0)  # (T_hand, P, 3)
    disp = local - local[:1]
    _, angles = canonicalize(p)
    turn = np.unwrap(angles - angles[0])  # (T_hand,) unwrapped so interpolation never jumps by 2π
    new_t = np.linspace(t[0], t[-1], steps)
    path = _interp_columns(new_t, t, disp)  # (steps, P, 3)
    turn_s = np.interp(new_t, t, turn)  # (steps,)
    traj = np.concatenate(
        [path.reshape(steps, -1), np.sin(turn_s)[:, None], (1.0 - np.cos(turn_s))[:, None]], axis=1
    )
    step_len = np.linalg.norm(np.diff(path, axis=0), axis=-1)  # (steps - 1, P)
    summary = np.concatenate(
        [
            step_len.sum(axis=0),
            np.linalg.norm(path[-1] - path[0], axis=-1),
            _signed_turning(path[..., :2]),
            [np.abs(np.diff(turn_s)).sum(), turn_s[-1] - turn_s[0]],
        ]
    )
    return traj.astype(np.float32), summary.astype(np.float32)


def clip_features(
    points: np.ndarray, times: np.ndarray, steps: int = STEPS, source: str = "clip"
) -> ClipFeatures:
    """A clip → its per-frame landmark features and its trajectory features."""
    p, t = validate_clip(points, times, source)
    mask = hand_mask(p)
    frames = features(*canonicalize(p[mask]))
    traj, summary = trajectory_features(p, t, steps, source)
    return ClipFeatures(frames=frames, frame_times=t[mask], trajectory=traj, summary=summary)


def clip_mirror_signs(steps: int = STEPS) -> np.ndarray:
    """(n_clip_features(steps),) of ±1: `ClipFeatures.vector()` of the mirrored clip is the vector times this."""
    step = np.ones(STEP_WIDTH, dtype=np.float32)
    step[0 : len(TRACKED) * 3 : 3] = -1.0  # x displacements
    step[len(TRACKED) * 3] = -1.0  # sin(turn)
    summary = np.ones(N_SUMMARY, dtype=np.float32)
    summary[2 * len(TRACKED) : 3 * len(TRACKED)] = -1.0  # signed path turning
    summary[-1] = -1.0  # net turn
    return np.concatenate([np.tile(step, steps), summary])


def frame_mirror_signs() -> np.ndarray:
    """(N_FEATURES,) sign flip of the per-frame features: landmarks.mirror_signs, named here for clips."""
    return mirror_signs()


# --- augmentation of clips (training only) ---


def resample_clip(points: np.ndarray, times: np.ndarray, source_times: np.ndarray) -> np.ndarray:
    """Landmarks at source_times (any, in the clip's time axis), linearly interpolated between frames
    with a hand; a new frame has no hand (NaN) where the nearest original frame had none."""
    p, t = np.asarray(points, dtype=np.float64), np.asarray(times, dtype=np.float64)
    mask = hand_mask(p)
    out = _interp_columns(source_times, t[mask], p[mask])
    nearest = np.clip(np.searchsorted(t, source_times), 1, max(len(t) - 1, 1))
    if len(t) > 1:
        left = nearest - 1
        nearest = np.where(source_times - t[left] <= t[nearest] - source_times, left, nearest)
    else:
        nearest = np.zeros(len(source_times), dtype=int)
    out[~mask[nearest]] = np.nan
    return out


def change_speed(
    points: np.ndarray, times: np.ndarray, factor: float, wobble: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The clip played `factor` times as fast (2 = half the duration), at its own median frame interval;
    wobble in (-1, 1) bends time unevenly (fast then slow, or the reverse) and keeps it monotonic."""
    if factor <= 0 or not -1 < wobble < 1:
        raise ValueError(f"speed factor must be > 0 and wobble in (-1, 1), got {factor}, {wobble}")
    p, t = np.asarray(points, dtype=np.float64), np.asarray(times, dtype=np.float64)
    if len(t) < 2:
        return p.copy(), t.copy()
    dt = float(np.median(np.diff(t)))
    duration = (t[-1] - t[0]) / factor
    n = max(2, int(round(duration / dt)) + 1)
    u = np.linspace(0.0, 1.0, n)
    warped = u + wobble * np.sin(np.pi * u) / np.pi  # derivative 1 + wobble·cos(πu) > 0
    src = t[0] + warped * (t[-1] - t[0])
    return resample_clip(p, t, src), t[0] + u * duration


def crop_phase(
    points: np.ndarray, times: np.ndarray, start_frac: float, end_frac: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Drop the first start_frac and the last end_frac of the clip's duration (a later start, an earlier
    stop); at least one frame with a hand is kept."""
    if start_frac < 0 or end_frac < 0 or start_frac + end_frac >= 1:
        raise ValueError(f"crop fractions must be ≥ 0 and sum below 1, got {start_frac}, {end_frac}")
    p, t = np.asarray(points, dtype=np.float64), np.asarray(times, dtype=np.float64)
    span = t[-1] - t[0]
    keep = (t >= t[0] + start_frac * span - 1e-12) & (t <= t[-1] - end_frac * span + 1e-12)
    mask = hand_mask(p)
    if not (keep & mask).any():  # the window holds no hand: keep the hand frame nearest its start
        idx = np.flatnonzero(mask)
        keep = np.arange(len(t)) == idx[np.argmin(np.abs(t[idx] - (t[0] + start_frac * span)))]
    return p[keep].copy(), t[keep].copy()


def scale_path(points: np.ndarray, factor: float) -> np.ndarray:
    """Scale how far the hand travels: each frame's hand moves factor × its wrist's displacement from the
    first frame with a hand; the handshape and its turn are untouched."""
    p = np.array(points, dtype=np.float64, copy=True)
    mask = hand_mask(p)
    if not mask.any():
        return p
    start = p[np.argmax(mask), WRIST]
    shift = (factor - 1.0) * (p[:, WRIST] - start)  # (T, 3)
    p[mask] += shift[mask][:, None, :]
    return p


def augment_clip(
    points: np.ndarray,
    times: np.ndarray,
    rng: np.random.Generator,
    speed: tuple[float, float] = (0.75, 1.33),
    wobble: float = 0.3,
    crop: float = 0.15,
    path_scale: tuple[float, float] = (0.7, 1.4),
) -> tuple[np.ndarray, np.ndarray]:
    """A random variant of a clip: speed drawn log-uniformly from `speed`, uneven time up to ±wobble, up to
    `crop` of the duration cut from the start and from the end, path size drawn from `path_scale`."""
    factor = float(np.exp(rng.uniform(np.log(speed[0]), np.log(speed[1]))))
    p, t = change_speed(points, times, factor, float(rng.uniform(-wobble, wobble)))
    p, t = crop_phase(p, t, float(rng.uniform(0, crop)), float(rng.uniform(0, crop)))
    return scale_path(p, float(rng.uniform(*path_scale))), t
