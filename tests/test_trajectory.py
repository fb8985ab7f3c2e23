"""Clip features (sign_ml/trajectory.py) and synthetic J/Z clips (sign_ml/synthetic_motion.py), on hands built by hand."""

from __future__ import annotations

import numpy as np
import pytest
from test_landmarks import rotate_xy

from sign_ml.landmarks import canonicalize, features, mirror_points
from sign_ml.synthetic_motion import hand_axes, held_still, synthesize_j, synthesize_z
from sign_ml.trajectory import (
    N_SUMMARY,
    STEP_WIDTH,
    STEPS,
    TRACKED,
    augment_clip,
    change_speed,
    clip_features,
    clip_mirror_signs,
    clip_points,
    crop_phase,
    frame_mirror_signs,
    n_clip_features,
    scale_path,
    still_clip,
    trajectory_features,
)

KNUCKLE = {1: (0.45, -1.0), 2: (0.15, -1.08), 3: (-0.15, -1.02), 4: (-0.42, -0.9)}  # index..little, wrist = 0
LITTLE_TIP, INDEX_TIP = TRACKED.index(20), TRACKED.index(8)


def make_hand(
    extended: set[int], scale: float = 40.0, at: tuple[float, float] = (300.0, 400.0)
) -> np.ndarray:
    """(21, 3) pixels of a right-ish hand, y down: fingers 1..4 (index..little) straight up if in
    `extended`, otherwise curled toward the camera; the thumb folded across the palm."""
    p = np.zeros((21, 3))
    p[1:5] = [(0.35, -0.25, -0.05), (0.55, -0.45, -0.1), (0.5, -0.7, -0.2), (0.2, -0.8, -0.25)]
    for f, (x, y) in KNUCKLE.items():
        k = np.array([x, y, 0.0])
        d = k / np.linalg.norm(k)
        if f in extended:
            joints = [k + d * 0.4, k + d * 0.7, k + d * 0.95]
        else:
            pip = k + d * 0.35 + [0, 0, -0.1]
            dip = pip - d * 0.25 + [0, 0, -0.25]
            joints = [pip, dip, dip - d * 0.2]
        p[4 * f + 1] = k
        p[4 * f + 2 : 4 * f + 5] = joints
    return p * scale + [at[0], at[1], 0.0]


I_HAND = make_hand({4})
D_HAND = make_hand({1})


def vector(points: np.ndarray, times: np.ndarray, steps: int = STEPS) -> np.ndarray:
    return clip_features(points, times, steps).vector()


def test_feature_layout_matches_the_declared_sizes():
    clip = clip_features(*synthesize_j(I_HAND, np.random.default_rng(0)))
    assert clip.trajectory.shape == (STEPS, STEP_WIDTH) and clip.summary.shape == (N_SUMMARY,)
    assert clip.vector().shape == (n_clip_features(),) == clip_mirror_signs().shape
    assert clip.frames.shape == (len(clip.frame_times), len(frame_mirror_signs()))
    assert np.all(np.isfinite(clip.vector()))


@pytest.mark.parametrize("seed", range(4))
def test_trajectory_is_invariant_to_where_how_large_and_how_turned_the_whole_clip_is(seed):
    rng = np.random.default_rng(seed)
    pts, times = synthesize_j(I_HAND, rng)
    v = vector(pts, times)
    assert np.abs(v).max() > 0.5  # a real movement, so the equality below says something
    moved = rotate_xy(pts * rng.uniform(0.3, 4.0), rng.uniform(-np.pi, np.pi)) + rng.uniform(-500, 500, 3)
    np.testing.assert_allclose(vector(moved, times + rng.uniform(0, 100)), v, atol=1e-4)
    # the handshape per frame is invariant too, all but its orientation
    f0, f1 = clip_features(pts, times).frames, clip_features(moved, times).frames
    np.testing.assert_allclose(f1[:, :-2], f0[:, :-2], atol=1e-4)


def test_trajectory_is_relative_to_the_hand_not_the_image():
    # the same path drawn by a hand turned a quarter in the photo is the same path in the hand's frame;
    # in image axes it would be turned a quarter too
    # (no jitter: it is drawn along the image's axes, so it would differ between the two)
    pts, times = synthesize_z(D_HAND, np.random.default_rng(1), jitter=0.0)
    turned_hand = rotate_xy(D_HAND - D_HAND[0], np.pi / 2) + D_HAND[0]
    pts2, _ = synthesize_z(turned_hand, np.random.default_rng(1), jitter=0.0)
    np.testing.assert_allclose(vector(pts2, times), vector(pts, times), atol=1e-4)
    assert np.abs(vector(pts, times)).max() > 0.5


def test_normalized_landmarks_give_the_same_clip_as_pixels():
    pts, times = synthesize_j(I_HAND, np.random.default_rng(2))
    w, h = 640, 480
    norm = pts / np.array([w, h, w])
    np.testing.assert_allclose(vector(clip_points(norm, w, h), times), vector(pts, times), atol=1e-5)


@pytest.mark.parametrize("make", [synthesize_j, synthesize_z])
def test_mirroring_every_frame_flips_the_clip_features_by_the_sign_vector(make):
    pts, times = make(I_HAND if make is synthesize_j else D_HAND, np.random.default_rng(3))
    a, b = clip_features(pts, times), clip_features(mirror_points(pts), times)
    np.testing.assert_allclose(b.vector(), a.vector() * clip_mirror_signs(), atol=1e-4)
    assert not np.allclose(b.vector(), a.vector(), atol=1e-2)  # the flips matter: x moves and turns exist
    np.testing.assert_allclose(b.frames, a.frames * frame_mirror_signs(), atol=1e-5)


def test_a_j_path_and_an_i_held_still_differ_clearly():
    rng = np.random.default_rng(4)
    for _ in range(5):
        j = clip_features(*synthesize_j(I_HAND, rng))
        still = clip_features(*held_still(I_HAND, rng))
        path_len, net, net_turn = LITTLE_TIP, len(TRACKED) + LITTLE_TIP, -1  # summary indices
        # in hand sizes: a J travels metres of hand, a held I only its jitter
        assert j.summary[path_len] > 2.0 > 0.5 > still.summary[path_len]
        assert j.summary[net] > 1.5 > 0.15 > still.summary[net]
        assert abs(j.summary[net_turn]) > 0.12 > 0.05 > abs(still.summary[net_turn])  # radians
        assert np.abs(still.trajectory).max() < 0.15 < 1.0 < np.abs(j.trajectory).max()
        assert np.linalg.norm(j.vector() - still.vector()) > 8.0
        # the handshape per frame is the same I in both
        other = features(*canonicalize(D_HAND))[:-2]
        assert (
            np.abs(j.frames[0, :-2] - still.frames[0, :-2]).mean()
            < 0.05
            < 0.1
            < np.abs(j.frames[0, :-2] - other).mean()
        )


def test_a_one_frame_clip_is_a_still_with_zero_motion():
    one = clip_features(*still_clip(I_HAND))
    np.testing.assert_array_equal(one.trajectory, 0.0)
    np.testing.assert_array_equal(one.summary, 0.0)
    np.testing.assert_allclose(one.frames[0], features(*canonicalize(I_HAND)), atol=1e-6)
    held = held_still(I_HAND, np.random.default_rng(5), drift=0.0, jitter=0.0)
    assert len(held[0]) > 5
    np.testing.assert_allclose(clip_features(*held).vector(), one.vector(), atol=1e-6)


def linear_move(n: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """The I hand sliding at constant speed: interpolating across a gap recovers it exactly."""
    times = np.arange(n) / 15.0
    return I_HAND[None] + times[:, None, None] * np.array([90.0, 60.0, 0.0]), times


def test_frames_without_a_hand_are_interpolated_across():
    pts, times = linear_move()
    full = clip_features(pts, times)
    gappy = pts.copy()
    gappy[[3, 4, 5, 8]] = np.nan
    gappy[6, 7, 0] = np.nan  # one missing coordinate is a frame without a hand
    g = clip_features(gappy, times)
    assert len(g.frames) == len(pts) - 5 and np.all(np.isfinite(g.vector()))
    np.testing.assert_allclose(g.frame_times, np.delete(times, [3, 4, 5, 6, 8]))
    np.testing.assert_allclose(g.vector(), full.vector(), atol=1e-5)
    # missing first frames: the clip starts where the hand is first seen
    late = pts.copy()
    late[:3] = np.nan
    np.testing.assert_allclose(clip_features(late, times).vector(), vector(pts[3:], times[3:]), atol=1e-5)
    assert not np.allclose(vector(pts[3:], times[3:]), full.vector(), atol=1e-3)


def test_bad_clips_raise_one_clear_error_naming_the_source():
    pts, times = linear_move()
    with pytest.raises(ValueError, match="take.npz: no frame has a hand"):
        trajectory_features(np.full_like(pts, np.nan), times, source="take.npz")
    with pytest.raises(ValueError, match=r"shape \(frames, 21, 3\)"):
        clip_features(pts[:, :20], times)
    with pytest.raises(ValueError, match="12 frames but timestamps"):
        clip_features(pts, times[:-1])
    with pytest.raises(ValueError, match="strictly increasing"):
        clip_features(pts, times[::-1])


def test_speed_change_keeps_shapes_changes_duration_and_a_bent_time_changes_the_path():
    pts, times = synthesize_j(I_HAND, np.random.default_rng(6), fps=(20, 20), hold=(0, 0), jitter=0.0)
    fast, t_fast = change_speed(pts, times, 2.0)
    assert fast.shape[1:] == (21, 3) and len(fast) == len(t_fast)
    assert abs(len(fast) - (len(pts) - 1) / 2 - 1) <= 1
    np.testing.assert_allclose(t_fast[-1] - t_fast[0], (times[-1] - times[0]) / 2, atol=1e-9)
    # the same path, only faster: the time-normalized trajectory hardly changes
    traj = clip_features(pts, times).trajectory
    np.testing.assert_allclose(clip_features(fast, t_fast).trajectory, traj, atol=0.1)
    bent, t_bent = change_speed(pts, times, 1.0, wobble=0.6)
    assert np.abs(clip_features(bent, t_bent).trajectory - traj).max() > 0.3
    # a gap stays a gap
    gappy = pts.copy()
    gappy[10:14] = np.nan
    slow, t_slow = change_speed(gappy, times, 0.5)
    missing = ~np.isfinite(slow).all(axis=(1, 2))
    assert missing.any() and not missing.all()
    assert np.all((t_slow[missing] >= times[9] * 2) & (t_slow[missing] <= times[14] * 2))


def test_start_phase_crop_shortens_the_clip_and_moves_its_start():
    pts, times = synthesize_j(I_HAND, np.random.default_rng(7), hold=(0, 0))
    cut, t_cut = crop_phase(pts, times, 0.3, 0.1)
    assert cut.shape[1:] == (21, 3) and len(cut) < 0.75 * len(pts)
    assert t_cut[0] >= times[0] + 0.3 * (times[-1] - times[0]) - 1e-9
    assert np.abs(vector(cut, t_cut) - vector(pts, times)).max() > 0.1
    # a window with no hand keeps the nearest hand frame, never an empty clip
    gappy = pts.copy()
    gappy[len(pts) // 2 :] = np.nan
    left, _ = crop_phase(gappy, times, 0.8)
    assert len(left) >= 1 and np.isfinite(left).all(axis=(1, 2)).any()
    with pytest.raises(ValueError, match="crop fractions"):
        crop_phase(pts, times, 0.6, 0.5)


def test_path_size_change_scales_the_path_and_keeps_the_handshape():
    rng = np.random.default_rng(8)
    pts, times = synthesize_z(D_HAND, rng, wobble_deg=0.0, tilt_deg=0.0, jitter=0.0)
    big = scale_path(pts, 2.0)
    a, b = clip_features(pts, times), clip_features(big, times)
    # a Z is a pure translation: every tracked point's path doubles
    np.testing.assert_allclose(
        b.trajectory[:, : 3 * len(TRACKED)], 2 * a.trajectory[:, : 3 * len(TRACKED)], atol=1e-6
    )
    np.testing.assert_allclose(b.summary[: len(TRACKED)], 2 * a.summary[: len(TRACKED)], rtol=1e-5)
    np.testing.assert_allclose(b.frames, a.frames, atol=1e-5)


def test_augment_clip_is_seeded_and_varies():
    pts, times = synthesize_j(I_HAND, np.random.default_rng(9))
    a = augment_clip(pts, times, np.random.default_rng(1))
    b = augment_clip(pts, times, np.random.default_rng(1))
    c = augment_clip(pts, times, np.random.default_rng(2))
    np.testing.assert_array_equal(a[0], b[0])
    assert a[0].shape[1:] == (21, 3) and len(a[0]) == len(a[1])
    assert a[0].shape != c[0].shape or not np.allclose(a[0], c[0])
    assert np.abs(vector(*a) - vector(pts, times)).max() > 0.05


# --- synthetic J and Z ---


def thumb_sign(hand: np.ndarray) -> float:
    """Which way (±1) the thumb side lies along x in the hand's canonical frame."""
    canon, _ = canonicalize(hand)
    return float(np.sign(canon[5, 0] - canon[17, 0]))


@pytest.mark.parametrize("mirror", [False, True])
def test_j_goes_down_then_hooks_toward_the_thumb_side(mirror):
    hand = mirror_points(I_HAND) if mirror else I_HAND
    pts, times = synthesize_j(hand, np.random.default_rng(10), hold=(0, 0), tilt_deg=0.0)
    path = clip_features(pts, times, steps=32).trajectory[:, : 3 * len(TRACKED)].reshape(32, len(TRACKED), 3)
    wrist = path[:, 0]
    assert wrist[12, 1] > 0.5 and abs(wrist[12, 0]) < 0.1  # first straight down (y grows downwards)...
    assert wrist[-1, 0] * thumb_sign(hand) > 0.3  # ...then toward the thumb side
    assert wrist[-1, 1] < wrist[:, 1].max() - 0.1  # ...and back up


def test_z_draws_three_strokes_starting_toward_the_little_finger():
    rng = np.random.default_rng(11)
    pts, times = synthesize_z(D_HAND, rng, hold=(0, 0), tilt_deg=0.0, wobble_deg=0.0, jitter=0.0)
    tip = (
        clip_features(pts, times, steps=48)
        .trajectory[:, : 3 * len(TRACKED)]
        .reshape(48, len(TRACKED), 3)[:, INDEX_TIP]
    )
    across = tip[:, 0] * thumb_sign(D_HAND)  # > 0 toward the thumb side
    dx = np.sign(np.diff(across))
    dx = dx[dx != 0]
    assert dx[0] < 0 and np.count_nonzero(np.diff(dx)) == 2  # away from the thumb, back, away again
    assert tip[-1, 1] > 0.5 and np.allclose(tip[: len(tip) // 5, 1], 0.0, atol=1e-6)  # the top stroke is flat


def test_synthesis_is_seeded_and_varies_speed_size_start_and_frame_rate():
    a = synthesize_j(I_HAND, np.random.default_rng(12))
    b = synthesize_j(I_HAND, np.random.default_rng(12))
    np.testing.assert_array_equal(a[0], b[0])
    clips = [synthesize_z(D_HAND, np.random.default_rng(s)) for s in range(6)]
    rates = {round(1 / np.median(np.diff(t)), 3) for _, t in clips}
    starts = {tuple(np.round(p[0, 0, :2], 3)) for p, _ in clips}
    sizes = {round(float(clip_features(p, t).summary[INDEX_TIP]), 3) for p, t in clips}
    durations = {round(float(t[-1]), 3) for _, t in clips}
    assert min(len(rates), len(starts), len(sizes), len(durations)) == 6


def test_a_still_without_extent_is_refused():
    with pytest.raises(ValueError, match="no extent"):
        hand_axes(np.zeros((21, 3)))
    with pytest.raises(ValueError, match=r"\(21, 3\)"):
        synthesize_j(I_HAND[:5], np.random.default_rng(0))
