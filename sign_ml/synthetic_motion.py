"""Synthetic clips of the ASL motion letters J and Z, made from one still hand (pure numpy).

No recorded motion clips exist for the demo, so its J and Z clips are built from stills: the landmarks of
one photo's hand (an I handshape for J, a D handshape for Z), moved along the letter's path. They are
synthetic and must be called so wherever they are used (the model card, the README); real clips come from
the Record tab.

Every path is laid out in the still hand's own axes, not the image's: "up" runs from the wrist to the
middle knuckle, the "thumb side" is the side of the index knuckle (seen from the little finger's). A
mirrored still (a left hand) therefore draws the mirrored letter, as a left-handed signer does.
- J: the I handshape moves down, then hooks toward the thumb side and up, the wrist turning as it hooks
  (a twist about the hand's up axis and a small roll toward the thumb side).
- Z: the D handshape draws three strokes: across from the thumb side to the little-finger side, diagonally
  down back to the thumb side, and across again.
- held still: the same handshape with small jitter and a slight drift, no path ("held still" examples).
Speed, size, start point, frame rate, timing and hold frames vary with a seeded RNG. Points are in
isotropic pixels (`landmarks.to_points`), and so are the clips returned: (T, 21, 3) points, (T,) seconds.
"""

from __future__ import annotations

import numpy as np

from sign_ml.landmarks import KNUCKLES, MIDDLE_KNUCKLE, WRIST

Range = tuple[float, float]


def hand_axes(still: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """A (21, 3) hand → (thumb side (2,), up (2,), hand size in pixels), the axes its paths are drawn in."""
    p = np.asarray(still, dtype=np.float64)
    if p.shape != (21, 3) or not np.all(np.isfinite(p)):
        raise ValueError(f"a still hand must be (21, 3) finite points, got shape {p.shape}")
    up = p[MIDDLE_KNUCKLE, :2] - p[WRIST, :2]
    size = float(np.linalg.norm(p[list(KNUCKLES)] - p[WRIST], axis=-1).mean())
    if np.linalg.norm(up) < 1e-9 or size < 1e-9:
        raise ValueError("a still hand has no extent: its wrist and knuckles coincide")
    up /= np.linalg.norm(up)
    side = np.array([-up[1], up[0]])
    toward_index = p[5, :2] - p[17, :2]  # index knuckle seen from the little finger's
    thumb = side if side @ toward_index >= 0 else -side
    return thumb, up, size


def _timeline(
    rng: np.random.Generator, fps: Range, duration: Range, hold: Range
) -> tuple[np.ndarray, np.ndarray]:
    """Frame times and the path parameter s in [0, 1] at each: a still start, the movement, a still end."""
    rate = rng.uniform(*fps)
    moving = rng.uniform(*duration)
    before, after = rng.uniform(*hold), rng.uniform(*hold)
    times = np.arange(int(round((before + moving + after) * rate)) + 1) / rate
    u = np.clip((times - before) / moving, 0.0, 1.0)
    ease = rng.uniform(0.0, 1.0)  # 0: constant speed; 1: slow at both ends
    return times, (1 - ease) * u + ease * (1 - np.cos(np.pi * u)) / 2


def _move(
    still: np.ndarray,
    offset: np.ndarray,
    twist: np.ndarray,
    roll: np.ndarray,
    shift: np.ndarray,
    rng: np.random.Generator,
    jitter: float,
) -> np.ndarray:
    """The still turned about its wrist (twist about the hand's up axis, the thumb side going away from the
    camera; roll in the image plane, up tilting toward the thumb side) and moved by offset (T, 2), in
    (thumb, down) hand sizes, plus shift (2,) pixels; landmark noise of jitter hand sizes."""
    p = np.asarray(still, dtype=np.float64)
    thumb, up, size = hand_axes(p)
    q = p - p[WRIST]
    a, b, c = q[:, :2] @ thumb, q[:, :2] @ up, q[:, 2]  # (21,) pixels along the hand's axes
    ct, st = np.cos(twist)[:, None], np.sin(twist)[:, None]
    a1, c1 = ct * a - st * c, st * a + ct * c  # (T, 21)
    cr, sr = np.cos(roll)[:, None], np.sin(roll)[:, None]
    a2, b2 = cr * a1 + sr * b, -sr * a1 + cr * b
    a2 = a2 + size * offset[:, :1]
    b2 = b2 - size * offset[:, 1:2]  # down is minus up
    xy = p[WRIST, :2] + shift + a2[..., None] * thumb + b2[..., None] * up  # (T, 21, 2)
    out = np.concatenate([xy, (p[WRIST, 2] + c1)[..., None]], axis=-1)
    return out + rng.normal(0.0, jitter * size, out.shape)


def _start_shift(rng: np.random.Generator, still: np.ndarray, start: float) -> np.ndarray:
    """A random move of the whole clip by up to `start` hand sizes along each image axis (pixels)."""
    return rng.uniform(-start, start, 2) * hand_axes(still)[2]


def _tilt(path: np.ndarray, rng: np.random.Generator, tilt_deg: float) -> np.ndarray:
    """(T, 2) path in (thumb, down) turned by a random angle up to tilt_deg: no one draws exactly straight."""
    t = np.deg2rad(rng.uniform(-tilt_deg, tilt_deg))
    c, s = np.cos(t), np.sin(t)
    return path @ np.array([[c, s], [-s, c]])


def synthesize_j(
    still_i: np.ndarray,
    rng: np.random.Generator,
    fps: Range = (12.0, 30.0),
    duration: Range = (0.6, 1.4),
    hold: Range = (0.0, 0.2),
    descent: Range = (0.8, 1.5),
    hook_radius: Range = (0.3, 0.6),
    hook_angle_deg: Range = (120.0, 180.0),
    twist_deg: Range = (40.0, 90.0),
    roll_deg: Range = (10.0, 30.0),
    tilt_deg: float = 10.0,
    start: float = 1.0,
    jitter: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """A J clip from an I handshape: down by `descent` hand sizes, then an arc of `hook_radius` hand sizes
    through `hook_angle_deg` toward the thumb side, the wrist twisting and rolling along the hook."""
    times, s = _timeline(rng, fps, duration, hold)
    length, radius = rng.uniform(*descent), rng.uniform(*hook_radius)
    sweep = np.deg2rad(rng.uniform(*hook_angle_deg))
    along = s * (length + radius * sweep)  # arc length travelled (hand sizes)
    phi = np.clip((along - length) / radius, 0.0, sweep)
    straight = np.minimum(along, length)
    path = np.stack([radius * (1 - np.cos(phi)), straight + radius * np.sin(phi)], axis=-1)
    hooked = phi / sweep  # 0 before the hook, 1 at its end: the wrist turns as the hook is drawn
    twist = np.deg2rad(rng.uniform(*twist_deg)) * hooked
    roll = np.deg2rad(rng.uniform(*roll_deg)) * hooked
    shift = _start_shift(rng, still_i, start)
    return _move(still_i, _tilt(path, rng, tilt_deg), twist, roll, shift, rng, jitter), times


def synthesize_z(
    still_d: np.ndarray,
    rng: np.random.Generator,
    fps: Range = (12.0, 30.0),
    duration: Range = (0.9, 1.8),
    hold: Range = (0.0, 0.2),
    width: Range = (0.8, 1.6),
    height: Range = (0.7, 1.3),
    corner_pause: Range = (0.0, 1.0),
    wobble_deg: float = 5.0,
    tilt_deg: float = 10.0,
    start: float = 1.0,
    jitter: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """A Z clip from a D handshape: the index finger draws across (thumb side to little-finger side),
    diagonally down back, and across again; `corner_pause` slows the hand near the two corners."""
    times, s = _timeline(rng, fps, duration, hold)
    w, h = rng.uniform(*width), rng.uniform(*height)
    corners = np.array([[0.0, 0.0], [-w, 0.0], [0.0, h], [-w, h]])  # (thumb, down), the start at the origin
    seg = np.linalg.norm(np.diff(corners, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)]) / seg.sum()
    k = np.clip(np.searchsorted(cum, s, side="right") - 1, 0, 2)
    f = np.clip((s - cum[k]) / (cum[k + 1] - cum[k]), 0.0, 1.0)
    pause = rng.uniform(*corner_pause)
    f = (1 - pause) * f + pause * (3 * f**2 - 2 * f**3)  # smoothstep: slower into and out of each corner
    path = corners[k] + f[:, None] * (corners[k + 1] - corners[k])
    roll = np.deg2rad(wobble_deg) * np.sin(2 * np.pi * s * rng.uniform(0.5, 1.5) + rng.uniform(0, 2 * np.pi))
    shift = _start_shift(rng, still_d, start)
    return _move(still_d, _tilt(path, rng, tilt_deg), np.zeros_like(s), roll, shift, rng, jitter), times


def held_still(
    still: np.ndarray,
    rng: np.random.Generator,
    fps: Range = (12.0, 30.0),
    duration: Range = (0.8, 1.8),
    drift: float = 0.03,
    start: float = 1.0,
    jitter: float = 0.01,
) -> tuple[np.ndarray, np.ndarray]:
    """The same handshape held: no path, a slow drift of at most ~`drift` hand sizes and landmark jitter."""
    times, _ = _timeline(rng, fps, duration, (0.0, 0.0))
    u = times / max(times[-1], 1e-9)
    offset = drift * np.stack([np.sin(np.pi * u + rng.uniform(0, 2 * np.pi)) for _ in range(2)], axis=-1)
    zeros = np.zeros(len(times))
    return _move(still, offset, zeros, zeros, _start_shift(rng, still, start), rng, jitter), times
