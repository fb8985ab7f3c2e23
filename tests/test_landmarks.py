"""Landmark features (sign_ml/landmarks.py) and the landmark model: invariances that hold by construction."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from sign_ml.landmark_model import LandmarkMLP, build_landmark_model, landmark_spec
from sign_ml.landmarks import (
    FEATURE_VERSION,
    N_FEATURES,
    augment_points,
    canonicalize,
    features,
    hand_features,
    mirror_points,
    mirror_signs,
    to_points,
)

RNG = np.random.default_rng(7)


def random_hands(n: int, rng: np.random.Generator = RNG) -> np.ndarray:
    """(n, 21, 3) plausible-ish hands in pixels: a wrist, a palm above it, fingers spread from it."""
    pts = rng.normal(0, 1, (n, 21, 3))
    pts[:, 0] = 0
    pts[:, [5, 9, 13, 17], 1] -= 4.0  # knuckles above the wrist
    pts[:, 6:21, 1] -= 6.0
    return pts * 20 + np.array([160.0, 200.0, 0.0])


def rotate_xy(points: np.ndarray, theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    out = points.copy()
    out[..., 0] = c * points[..., 0] - s * points[..., 1]
    out[..., 1] = s * points[..., 0] + c * points[..., 1]
    return out


@pytest.mark.parametrize("seed", range(5))
def test_canonical_shape_is_invariant_to_translation_scale_and_in_plane_rotation(seed):
    rng = np.random.default_rng(seed)
    hands = random_hands(8, rng)
    canon, angle = canonicalize(hands)
    shift = rng.uniform(-500, 500, (1, 1, 3))
    scale = rng.uniform(0.2, 5.0)
    theta = rng.uniform(-np.pi, np.pi)
    moved = rotate_xy(hands * scale + shift, theta)
    canon2, angle2 = canonicalize(moved)
    np.testing.assert_allclose(canon2, canon, atol=1e-9)
    # the turn is not thrown away: it comes back as the orientation, shifted by the rotation
    np.testing.assert_allclose(np.angle(np.exp(1j * (angle2 - angle - theta))), 0.0, atol=1e-9)


def test_canonical_frame_puts_wrist_at_origin_middle_knuckle_up_and_unit_size():
    canon, _ = canonicalize(random_hands(4))
    np.testing.assert_allclose(canon[:, 0], 0.0, atol=1e-12)
    np.testing.assert_allclose(canon[:, 9, 0], 0.0, atol=1e-9)  # straight above the wrist...
    assert np.all(canon[:, 9, 1] < 0)  # ...which is up in image coordinates
    size = np.linalg.norm(canon[:, [5, 9, 13, 17]], axis=-1).mean(axis=-1)
    np.testing.assert_allclose(size, 1.0, atol=1e-9)


def test_features_separate_different_shapes_and_orientations():
    hands = random_hands(2)
    f = features(*canonicalize(hands))
    assert f.shape == (2, N_FEATURES) and f.dtype == np.float32 and np.all(np.isfinite(f))
    assert not np.allclose(f[0], f[1])  # two different hands
    turned = features(*canonicalize(rotate_xy(hands[:1], np.pi / 2)))
    # same shape turned a quarter: the shape features agree, the orientation does not
    np.testing.assert_allclose(turned[0, :-2], f[0, :-2], atol=1e-5)
    assert not np.allclose(turned[0, -2:], f[0, -2:], atol=0.1)


def test_mirror_signs_turn_a_hand_into_its_mirror_image():
    hands = random_hands(6)
    f = features(*canonicalize(hands))
    mirrored = features(*canonicalize(mirror_points(hands)))
    np.testing.assert_allclose(f * mirror_signs(), mirrored, atol=1e-5)


def test_to_points_undoes_the_aspect_ratio_of_normalized_landmarks():
    hands = random_hands(1)[0]
    w, h = 640, 480
    norm = hands / np.array([w, h, w])
    np.testing.assert_allclose(to_points(norm, w, h), hands, atol=1e-9)
    # the same hand seen in a portrait and a landscape photo gives the same features
    wide = hand_features(norm, w, h)
    tall = hand_features(hands / np.array([h, w, h]), h, w)
    np.testing.assert_allclose(wide, tall, atol=1e-5)


def test_mirror_left_flips_only_left_hands():
    hands = random_hands(2)
    norm = hands / 640.0
    as_seen = hand_features(norm, 640, 640, left=np.array([False, True]), mirror_left=False)
    flipped = hand_features(norm, 640, 640, left=np.array([False, True]), mirror_left=True)
    np.testing.assert_allclose(flipped[0], as_seen[0])
    np.testing.assert_allclose(flipped[1], as_seen[1] * mirror_signs(), atol=1e-5)


def test_augmentation_changes_views_but_keeps_hands_whole_and_is_seeded():
    hands = random_hands(16)
    a = augment_points(hands, np.random.default_rng(1))
    b = augment_points(hands, np.random.default_rng(1))
    c = augment_points(hands, np.random.default_rng(2))
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    assert a.shape == hands.shape and np.all(np.isfinite(a))
    still = augment_points(
        hands, np.random.default_rng(1), rotation_deg=0, tilt_deg=0, scale_jitter=0, noise=0
    )
    np.testing.assert_allclose(still, hands, atol=1e-9)
    # a pure in-plane turn changes only the orientation features
    turned = augment_points(
        hands, np.random.default_rng(3), rotation_deg=30, tilt_deg=0, scale_jitter=0, noise=0
    )
    f0, f1 = features(*canonicalize(hands)), features(*canonicalize(turned))
    np.testing.assert_allclose(f1[:, :-2], f0[:, :-2], atol=1e-4)
    assert not np.allclose(f1[:, -2:], f0[:, -2:], atol=1e-3)


def test_symmetric_model_answers_the_same_for_a_hand_and_its_mirror():
    torch.manual_seed(0)
    model = LandmarkMLP(N_FEATURES, 5, (32,), 0.0, symmetric=True).eval()
    x = torch.from_numpy(features(*canonicalize(random_hands(4))))
    xm = x * torch.from_numpy(mirror_signs())
    torch.testing.assert_close(model(x), model(xm))
    plain = LandmarkMLP(N_FEATURES, 5, (32,), 0.0, symmetric=False).eval()
    assert not torch.allclose(plain(x), plain(xm))


def test_spec_rebuilds_the_model_and_refuses_other_feature_versions():
    spec = landmark_spec((16, 8), 0.1, "symmetric")
    model = build_landmark_model(spec, 4)
    assert isinstance(model, LandmarkMLP) and model.symmetric
    assert model(torch.zeros(2, N_FEATURES)).shape == (2, 4)
    with pytest.raises(ValueError, match="features v"):
        build_landmark_model(spec | {"feature_version": FEATURE_VERSION + 1}, 4)
    with pytest.raises(ValueError, match="handedness"):
        landmark_spec((16,), 0.1, "both")
