"""The hand stage (curation/hands.py) and its cache, with the real MediaPipe model that ships in the repo."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pytest
from PIL import Image, ImageOps

from curation.hand_cache import HandCache, add_hand_columns, detect_files, detection_from_column
from curation.hands import (
    DEFAULT_MODEL,
    HAND_CONNECTIONS,
    Hand,
    HandDetection,
    HandStage,
    NoHandModelError,
    _unpad,
    crop_box,
    crop_hand,
    draw_hand,
    shared_stage,
)
from curation.images import load_rgb

# photos of the shared sample whose hand the stage finds at once (checked by hand in the overlay)
CLEAR = ["A/A16.jpg", "L/L10.jpg", "Y/Y10.jpg", "B/B10.jpg", "V/V10.jpg"]


def no_hand_images() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    return [
        Image.new("RGB", (320, 240), (255, 255, 255)),
        Image.new("RGB", (240, 320), (40, 90, 160)),
        Image.fromarray(rng.integers(0, 256, (256, 256, 3), dtype=np.uint8)),
        Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((320, 320)),
    ]


def iou(a, b) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


@pytest.mark.parametrize("index", range(4))
def test_images_without_a_hand_give_no_hand(index):
    detection = shared_stage().detect(no_hand_images()[index])
    assert not detection.found and detection.hand is None and detection.hands == ()


@pytest.mark.shared_data
def test_real_photos_give_21_landmarks_on_the_annotated_hand(asl_sample):
    boxes = json.loads((asl_sample.parent / "asl-letters-sample.hand-boxes.json").read_text())
    stage = shared_stage()
    for rel in CLEAR:
        image = load_rgb(asl_sample / rel)
        detection = stage.detect(image, source=rel)
        assert detection.found, rel
        hand = detection.hand
        assert hand.landmarks.shape == (21, 3) and hand.world.shape == (21, 3)
        assert hand.handedness in ("Left", "Right") and 0 < hand.handedness_score <= 1
        assert (detection.width, detection.height) == image.size
        # the landmarks lie on the hand that the dataset's annotators boxed
        assert iou(hand.box_pixels(*image.size), boxes[rel]) > 0.3, rel


@pytest.mark.shared_data
def test_exif_rotated_photo_gives_the_same_hand(asl_sample, tmp_path):
    image = load_rgb(asl_sample / CLEAR[1])
    stored = image.transpose(Image.Transpose.ROTATE_90)  # what a phone stores; the tag turns it back
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    path = tmp_path / "rotated.jpg"
    stored.save(path, quality=95, exif=exif)
    upright = load_rgb(path)
    assert upright.size == image.size
    a, b = shared_stage().detect(image).hand, shared_stage().detect(upright).hand
    assert b is not None
    assert np.abs(a.landmarks[:, :2] - b.landmarks[:, :2]).max() < 0.05


@pytest.mark.shared_data
def test_retry_on_a_black_border_finds_hands_that_touch_the_edge(asl_sample):
    plain = HandStage(retry_padded=False)
    retrying = HandStage()
    try:
        missed = found_on_retry = 0
        for path in sorted((asl_sample / "C").glob("*.jpg")):
            image = load_rgb(path)
            if not plain.detect(image).found:
                missed += 1
                d = retrying.detect(image)
                found_on_retry += d.found
                if d.found:
                    assert d.retried
                    # mapped back into the photo's own coordinates, not the bordered canvas
                    assert -0.2 < d.hand.box[0] < d.hand.box[2] < 1.2
        assert missed > 0 and found_on_retry > 0
    finally:
        plain.close()
        retrying.close()


def test_unpad_maps_bordered_and_mirrored_coordinates_back():
    pts = np.array([[0.5, 0.5, 0.1]] * 21, dtype=np.float32)
    pts[1] = [0.25, 0.75, 0.0]
    hand = Hand(pts, np.zeros((21, 3), np.float32), "Left", 0.9, (0.25, 0.5, 0.5, 0.75))
    # a 100×50 photo on a 200×150 canvas (50 px border): canvas (0.25, 0.75) is photo pixel (0, 62.5)
    (back,) = _unpad([hand], 50, 50, 100, 50)
    np.testing.assert_allclose(back.landmarks[1, :2], [0.0, 1.25], atol=1e-6)
    np.testing.assert_allclose(back.landmarks[0, 2], 0.2, atol=1e-6)  # z in widths: canvas is 2× wider
    assert back.handedness == "Left"
    (mirrored,) = _unpad([hand], 50, 50, 100, 50, mirrored=True)
    np.testing.assert_allclose(mirrored.landmarks[1, 0], (0.75 * 200 - 50) / 100, atol=1e-6)
    assert mirrored.handedness == "Right"


def test_crop_box_is_square_around_the_hand_and_clipped():
    hand = Hand(
        np.zeros((21, 3), np.float32), np.zeros((21, 3), np.float32), "Right", 1.0, (0.4, 0.4, 0.6, 0.5)
    )
    x0, y0, x1, y1 = crop_box(hand, 200, 100, margin=0.25)
    assert (x1 - x0) == (y1 - y0) == 60  # longer side 40 px, +25% each way
    assert crop_box(hand, 200, 100, margin=2.0) == (0, 0, 200, 100)


def test_drawing_changes_the_photo_only_where_a_hand_is():
    image = Image.new("RGB", (200, 200), (128, 128, 128))
    assert np.array_equal(np.asarray(draw_hand(image, HandDetection(200, 200))), np.asarray(image))
    pts = np.stack([np.linspace(0.3, 0.7, 21), np.linspace(0.3, 0.7, 21), np.zeros(21)], axis=1).astype(
        np.float32
    )
    hand = Hand(pts, pts, "Right", 1.0, (0.3, 0.3, 0.7, 0.7))
    drawn = np.asarray(draw_hand(image, HandDetection(200, 200, (hand,))))
    changed = np.any(drawn != 128, axis=2)
    assert changed[100, 100] and changed.sum() > 500
    assert not changed[:40].any()  # above the hand's box nothing is drawn
    assert len(HAND_CONNECTIONS) == 21 and all(0 <= a < 21 and 0 <= b < 21 for a, b in HAND_CONNECTIONS)
    assert crop_hand(image, hand).size == (120, 120)  # 80 px box, grown by 25% of it each way


def test_detection_round_trips_through_json():
    pts = np.random.default_rng(0).random((21, 3)).astype(np.float32)
    d = HandDetection(640, 480, (Hand(pts, pts * 0.1, "Left", 0.75, (0.1, 0.2, 0.3, 0.4)),), retried=True)
    back = HandDetection.from_dict(json.loads(json.dumps(d.to_dict())))
    assert (back.width, back.height, back.retried, back.hand.handedness) == (640, 480, True, "Left")
    np.testing.assert_allclose(back.hand.landmarks, pts, atol=1e-5)


def test_cache_detects_each_photo_once_by_content(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for k, image in enumerate(no_hand_images()):
        image.save(photos / f"p{k}.png")
    (photos / "bad.jpg").write_text("not a photo")
    shutil.copy(photos / "p0.png", photos / "copy_of_p0.png")
    paths = sorted(photos.iterdir())
    cache = HandCache(tmp_path / "cache")
    first, s1 = detect_files(paths, cache=cache, workers=2)
    assert [o.error is not None for o in first] == [p.name == "bad.jpg" for p in paths]
    assert "bad.jpg" in next(o.path for o in first if o.error) and "not an image" in next(
        o.error for o in first if o.error
    )
    assert s1.n_read == 5 and s1.n_found == 0
    # the copy shares p0's content: it may be computed once or twice within one parallel run, never more
    assert len(cache) == 4
    second, s2 = detect_files(paths, cache=cache, workers=2)
    assert s2.n_cached == 5 and all(o.cached for o in second if o.error is None)
    assert [o.detection for o in second] == [o.detection for o in first]
    # another model or other options: another key, so nothing stale is reused
    other = HandStage(min_detection_confidence=0.6)
    try:
        _, s3 = detect_files(paths, stage=other, cache=cache)
        assert s3.n_cached == 0
    finally:
        other.close()
    cache.close()


def test_cache_lives_where_DACTYL_CACHE_says(tmp_path, monkeypatch):
    monkeypatch.setenv("DACTYL_CACHE", str(tmp_path / "here"))
    cache = HandCache()
    assert cache.path.parent == tmp_path / "here" and cache.path.is_file()
    cache.close()


def test_hand_columns_round_trip(tmp_path):
    import pandas as pd

    path = tmp_path / "blank.png"
    no_hand_images()[0].save(path)
    table, summary = add_hand_columns(pd.DataFrame({"path": [str(path)]}))
    assert list(table["hand_found"]) == [False] and list(table["n_hands"]) == [0]
    assert detection_from_column(table["hand"][0]).found is False
    assert detection_from_column("") is None


def test_a_missing_or_foreign_model_file_is_a_clear_error(tmp_path, monkeypatch):
    with pytest.raises(NoHandModelError, match="not found"):
        HandStage(tmp_path / "nope.task")
    bogus = tmp_path / "bogus.task"
    bogus.write_bytes(b"not a zip")
    stage = HandStage(bogus)
    with pytest.raises(NoHandModelError, match="not a usable hand model"):
        stage.detect(Image.new("RGB", (64, 64)))
    monkeypatch.setenv("DACTYL_HAND_MODEL", str(DEFAULT_MODEL))
    assert HandStage().model == DEFAULT_MODEL


def test_video_mode_needs_increasing_timestamps():
    stage = HandStage(mode="video")
    try:
        frame = no_hand_images()[0]
        assert not stage.detect_video(frame, 10).found
        assert not stage.detect_video(ImageOps.mirror(frame), 43).found
        with pytest.raises(ValueError, match="not after"):
            stage.detect_video(frame, 43)
        with pytest.raises(RuntimeError):
            stage.detect(frame)
    finally:
        stage.close()


def _in_thread(fn):
    """fn() run in a new thread: its result, or the exception it raised."""
    import threading

    out = {}

    def run():
        try:
            out["value"] = fn()
        except Exception as exc:  # handed back to the test
            out["value"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(60)
    return out["value"]


@pytest.mark.parametrize("mode", ["image", "video"])
def test_after_close_every_use_from_any_thread_raises(mode):
    """A thread that used the stage before close() must not get a silent "no hand" afterwards."""
    from curation.hands import HandStageClosed, ImageHandStage, VideoHandStage

    stage = HandStage(mode=mode, retry_padded=False)
    assert isinstance(stage, ImageHandStage if mode == "image" else VideoHandStage) and stage.mode == mode
    frame = no_hand_images()[0]
    ticks = iter(range(10, 1000, 10))

    def use():
        return stage.detect(frame) if mode == "image" else stage.detect_video(frame, next(ticks))

    assert not use().found  # this thread has used it
    assert not _in_thread(use).found  # and so has another
    assert stage.landmarkers >= 1
    stage.close()
    assert stage.landmarkers == 0
    with pytest.raises(HandStageClosed):
        use()
    assert isinstance(_in_thread(use), HandStageClosed)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def test_landmarkers_and_memory_stay_flat_over_bursts_from_short_lived_threads():
    """Three bursts of 100 requests, each from its own short-lived thread (as a server's workers come and
    go): the stage holds at most pool_size landmarkers and RSS does not climb burst after burst."""
    import threading

    stage = HandStage(retry_padded=False, pool_size=3)
    frame = no_hand_images()[2]
    counts, rss = [], []
    try:
        for _ in range(3):
            burst = [threading.Thread(target=stage.detect, args=(frame,)) for _ in range(100)]
            for thread in burst:
                thread.start()
            for thread in burst:
                thread.join(120)
            counts.append(stage.landmarkers)
            rss.append(_rss_mb())
    finally:
        stage.close()
    assert max(counts) <= 3, counts  # a landmarker per thread made 100, 200, 300
    assert rss[2] - rss[0] < 60, rss  # each landmarker costs ~30 MB: 100 more would be +3 GB
