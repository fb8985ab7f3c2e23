"""The Ray engine gives what the local engine gives: the same check report, a byte-identical split, the same
hand detections even when a worker is killed mid-run, and a second run detects nothing again.

Runs on a small subset of the shared sample photos (real hands), against a Ray started in this process
(`ray.init(num_cpus=2)`); the two-node loopback cluster (`ray start`) is the slow test at the end.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')

from curation.cli import main  # noqa: E402
from curation.engines import LocalEngine, RayEngine  # noqa: E402
from curation.hand_cache import hand_columns  # noqa: E402

LETTERS, PER_LETTER = ("A", "B", "L", "Y"), 5
FAST = ["--workers", "2", "--no-progress"]


@pytest.fixture(scope="module")
def ray_cluster():
    """A Ray of 2 CPUs in this process, for the module's tests."""
    if ray.is_initialized():
        ray.shutdown()
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    # this test module is not importable on the workers: send KillOnce's code along with it
    ray.cloudpickle.register_pickle_by_value(sys.modules[__name__])
    yield
    ray.cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    ray.shutdown()


@pytest.fixture(scope="module")
def subset(asl_sample: Path, tmp_path_factory) -> Path:
    """20 sample photos of 4 letters, plus one truncated JPEG the report must name."""
    root = tmp_path_factory.mktemp("subset")
    for letter in LETTERS:
        (root / letter).mkdir()
        for i in range(PER_LETTER):
            shutil.copy(asl_sample / letter / f"{letter}{i}.jpg", root / letter / f"{letter}{i}.jpg")
    data = (asl_sample / "A" / "A0.jpg").read_bytes()
    (root / "A" / "broken.jpg").write_bytes(data[: len(data) // 3])
    return root


def fresh_cache(monkeypatch, tmp_path: Path, name: str) -> Path:
    directory = tmp_path / name
    monkeypatch.setenv("DACTYL_CACHE", str(directory))
    return directory


def comparable(report_dir: Path) -> dict:
    """report.json without what is about time (when, how long, how many workers)."""
    data = json.loads((report_dir / "report.json").read_text())
    for key in ("created", "scan"):
        data.pop(key)
    hands = data["checks"]["hands"]
    hands["stats"].pop("seconds")
    hands["summary"] = re.sub(r" in [0-9.]+ s", "", hands["summary"])
    return data


def test_check_report_is_the_same_on_ray(ray_cluster, subset: Path, tmp_path: Path, monkeypatch) -> None:
    fresh_cache(monkeypatch, tmp_path, "cache-local")
    assert main(["check", str(subset), "--out", str(tmp_path / "local"), *FAST]) == 0
    fresh_cache(monkeypatch, tmp_path, "cache-ray")  # so Ray's workers really run the hand stage
    assert main(["check", str(subset), "--out", str(tmp_path / "ray"), *FAST, "--engine", "ray"]) == 0
    local, on_ray = comparable(tmp_path / "local"), comparable(tmp_path / "ray")
    assert on_ray == local
    assert local["checks"]["hands"]["stats"]["n_read"] == len(LETTERS) * PER_LETTER
    assert local["checks"]["hands"]["stats"]["n_found"] >= 15  # real hands, really detected
    unreadable = [row["path"] for row in on_ray["checks"]["integrity"]["issues"]]
    assert unreadable == [str(subset / "A" / "broken.jpg")]  # named as the local engine names it
    scan = json.loads((tmp_path / "ray" / "report.json").read_text())["scan"]
    assert scan["engine"] == "ray"

    # a second run finds every detection in the cache the first one filled from the driver
    paths = sorted(str(p) for p in subset.glob("*/*.jpg") if p.name != "broken.jpg")
    outcomes, summary = RayEngine().detect_files(paths)
    assert summary.n_read == len(paths) and summary.n_cached == len(paths)
    assert all(o.cached for o in outcomes)


def split_here_and_on_ray(data: Path, tmp_path: Path, monkeypatch, *args: str) -> list[dict]:
    """`sign-curate split DATA ARGS` on the local engine and on Ray, each with a fresh hand cache (so Ray's
    workers really run the hand stage); asserts the manifests are byte-identical and returns the two
    splits.json (local, Ray)."""
    for name, engine in (("local", []), ("ray", ["--engine", "ray"])):
        fresh_cache(monkeypatch, tmp_path, f"cache-{name}")
        assert main(["split", str(data), "--out", str(tmp_path / name), *args, *FAST, *engine]) == 0
    local = (tmp_path / "local" / "manifest.csv").read_bytes()
    assert (tmp_path / "ray" / "manifest.csv").read_bytes() == local
    return [json.loads((tmp_path / d / "splits.json").read_text()) for d in ("local", "ray")]


def test_split_is_byte_identical_on_ray(ray_cluster, subset: Path, tmp_path: Path, monkeypatch) -> None:
    info = split_here_and_on_ray(subset, tmp_path, monkeypatch, "--ratios", "60,20,20", "--seed", "3")
    assert info[0] == info[1]
    assert [e["relpath"] for e in info[1]["excluded"]] == ["A/broken.jpg"]


def test_a_split_with_clips_is_byte_identical_on_ray(
    ray_cluster, subset: Path, tmp_path: Path, monkeypatch
) -> None:
    from clip_helpers import make_clip

    data = tmp_path / "data"
    shutil.copytree(subset, data)
    for k in range(4):  # synthetic J clips of two A photos (kept with them), a gappy one and a broken one
        make_clip(data / "J" / f"syn_{k}.clip.json", "J", source=f"synthetic:A/A{k % 2}.jpg", seed=k)
    make_clip(data / "J" / "gappy.clip.json", "J", hand_frames=2)
    (data / "J" / "broken.clip.json").write_text("{", encoding="utf-8")
    info = split_here_and_on_ray(data, tmp_path, monkeypatch, "--ratios", "60,40", "--seed", "3")
    assert info[0] == info[1]
    assert sorted(e["relpath"] for e in info[1]["excluded"]) == ["A/broken.jpg", "J/broken.clip.json"]
    assert info[1]["clips"]["J"]["clips"] == 5 and info[1]["clips"]["J"]["synthetic"] == 4


class KillOnce:
    """A hand stage whose first detection anywhere in the cluster kills its own worker process (SIGKILL).

    The marker file is created exclusively, so exactly one worker dies, mid-run, with its batch unfinished.
    """

    def __init__(self, marker: str):
        self.marker = marker

    def __call__(self):
        from curation.hands import HandStage

        stage = HandStage()
        marker = self.marker
        real_detect = stage.detect

        def detect(image, source: str = ""):
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return real_detect(image, source=source)
            os.write(fd, str(os.getpid()).encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

        stage.detect = detect
        return stage


def test_a_killed_worker_is_retried_and_the_result_is_complete(
    ray_cluster, subset: Path, tmp_path: Path
) -> None:
    paths = sorted(str(p) for p in subset.glob("*/*.jpg"))
    marker = tmp_path / "killed.pid"
    outcomes, summary = RayEngine(stage_factory=KillOnce(str(marker))).detect_files(paths, cache=False)
    assert marker.is_file()  # a worker really died
    expected, _ = LocalEngine().detect_files(paths, cache=False, workers=2)
    assert [o.path for o in outcomes] == paths
    assert hand_columns(outcomes) == hand_columns(expected)
    assert [o.error for o in outcomes] == [o.error for o in expected]
    assert summary.n_files == len(paths) and summary.n_read == len(paths) - 1


def test_clips_are_the_same_on_ray(ray_cluster, asl_sample: Path, tmp_path: Path) -> None:
    from test_clips import write_video

    videos = [
        (str(write_video(tmp_path / "Y" / "y.mp4", asl_sample / "Y" / "Y1.jpg", frames=6)), "Y"),
        (str(write_video(tmp_path / "L" / "l.avi", asl_sample / "L" / "L1.jpg", frames=5)), "L"),
    ]
    (tmp_path / "bad.mp4").write_bytes(b"not a video at all")
    videos.append((str(tmp_path / "bad.mp4"), "A"))
    local = LocalEngine().video_clips(videos, workers=2)
    on_ray = RayEngine().video_clips(videos)
    assert [r.clip.to_json() if r.clip else r.error for r in on_ray] == [
        r.clip.to_json() if r.clip else r.error for r in local
    ]
    assert local[0].clip is not None and local[0].clip.hand_found.sum() >= 1
    assert local[2].clip is None and "bad.mp4" in local[2].error


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_env(temp_dir: Path, token: str) -> dict[str, str]:
    # `ray start` turns token auth on: the nodes and the CLI of this test share one token through the environment
    return {**os.environ, "RAY_TMPDIR": str(temp_dir), "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": token}


def _ray_node(*args: str, env: dict[str, str]) -> subprocess.Popen:
    """`ray start --block` in its own process group, so the test ends it (and only it) by its id."""
    ray_cli = Path(sys.executable).with_name("ray")
    command = [str(ray_cli), "start", "--block", "--num-cpus", "1", "--disable-usage-stats", *args]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, env=env
    )


def _stop_node(proc: subprocess.Popen) -> None:
    """End the node's process group (ray start and the raylet, GCS and workers it started)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


_COUNT_NODES = (
    "import ray; ray.init(address='{a}', log_to_driver=False); print(sum(n['Alive'] for n in ray.nodes()))"
)


@pytest.mark.slow
def test_two_node_loopback_cluster_gives_the_same_split(subset: Path, tmp_path: Path, monkeypatch) -> None:
    """`ray start --head` + `ray start --address` on loopback, then the CLI as a user runs it, in its own process."""
    import secrets

    port = _free_port()
    address = f"127.0.0.1:{port}"
    temp_dir = Path("/tmp") / f"rt{os.getpid()}"  # short: Ray's socket paths must stay under 107 bytes
    env = _ray_env(temp_dir, secrets.token_hex(32))
    nodes = []
    try:
        head_args = ["--head", "--node-ip-address", "127.0.0.1", "--port", str(port)]
        nodes.append(
            _ray_node(*head_args, "--include-dashboard", "false", "--temp-dir", str(temp_dir), env=env)
        )
        deadline = time.monotonic() + 120
        joined = False
        while time.monotonic() < deadline:
            if len(nodes) == 1:
                nodes.append(_ray_node("--address", address, "--node-ip-address", "127.0.0.1", env=env))
            probe = subprocess.run(
                [sys.executable, "-c", _COUNT_NODES.format(a=address)],
                capture_output=True,
                text=True,
                timeout=60,
                env=env,
            )
            if probe.returncode == 0 and probe.stdout.strip().splitlines()[-1:] == ["2"]:
                joined = True
                break
            time.sleep(2)
        assert joined, "the two loopback nodes did not form a cluster within 120 s"
        cache = tmp_path / "cache-ray"
        args = ["--ratios", "60,20,20", "--seed", "5", *FAST]
        ray_out = tmp_path / "ray"
        cli = Path(sys.executable).with_name("sign-curate")
        done = subprocess.run(
            [
                str(cli),
                "split",
                str(subset),
                "--out",
                str(ray_out),
                *args,
                "--engine",
                "ray",
                "--address",
                address,
            ],
            capture_output=True,
            text=True,
            timeout=240,
            env={**env, "DACTYL_CACHE": str(cache)},
        )
        assert done.returncode == 0, done.stderr[-2000:]
    finally:
        for node in reversed(nodes):
            _stop_node(node)
        shutil.rmtree(temp_dir, ignore_errors=True)
    fresh_cache(monkeypatch, tmp_path, "cache-local")
    assert main(["split", str(subset), "--out", str(tmp_path / "local"), *args]) == 0
    assert (ray_out / "manifest.csv").read_bytes() == (tmp_path / "local" / "manifest.csv").read_bytes()


def test_issues_ranks_the_same_on_ray(ray_cluster, subset: Path, tmp_path: Path, monkeypatch) -> None:
    from sign_ml.mislabels import find_mislabels

    fresh_cache(monkeypatch, tmp_path, "cache-local")
    local = find_mislabels(subset, folds=2, progress=False)
    fresh_cache(monkeypatch, tmp_path, "cache-ray")
    on_ray = find_mislabels(subset, folds=2, progress=False, detect=RayEngine().detect_files)
    assert on_ray.table.to_csv(index=False) == local.table.to_csv(index=False)
    untimed = lambda r: re.sub(r"[0-9.]+ s;", "", r.line())  # noqa: E731
    assert untimed(on_ray) == untimed(local) and on_ray.n_checked >= 15
