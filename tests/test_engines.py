"""The engine is chosen at the edge: --engine local needs no Ray, --engine ray without Ray is one clear line."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from conftest import make_class_folder

from curation.cli import main
from curation.engines import INSTALL_HINT, LocalEngine, RayEngine, engine_from_args


def test_local_is_the_default_and_address_needs_ray() -> None:
    import argparse

    assert isinstance(engine_from_args(argparse.Namespace()), LocalEngine)
    assert isinstance(engine_from_args(argparse.Namespace(engine="ray", address="auto")), RayEngine)
    with pytest.raises(ValueError, match="--address needs --engine ray"):
        engine_from_args(argparse.Namespace(engine="local", address="auto"))


@pytest.mark.parametrize("command", ["check", "split", "issues"])
def test_ray_not_installed_is_one_line(
    command: str, tmp_path: Path, monkeypatch, capsys: pytest.CaptureFixture
) -> None:
    data = make_class_folder(tmp_path / "data", {"A": 3, "B": 3})
    for name in ("ray", "ray.data"):
        monkeypatch.setitem(sys.modules, name, None)  # `import ray` now fails as if it were not installed
    argv = (
        [command, str(data), "--engine", "ray", "--no-progress"]
        if command != "issues"
        else [command, str(data), "--engine", "ray"]
    )
    if command == "split":
        argv += ["--out", str(tmp_path / "out")]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert INSTALL_HINT in err and len(err.splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_local_engine_marks_the_report(tmp_path: Path) -> None:
    data = make_class_folder(tmp_path / "data", {"A": 3, "B": 3})
    import json

    assert main(["check", str(data), "--out", str(tmp_path / "r"), "--no-hands", "--no-progress"]) == 0
    assert json.loads((tmp_path / "r" / "report.json").read_text())["scan"]["engine"] == "local"


def test_an_address_nothing_answers_on_fails_fast(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    import socket

    pytest.importorskip("ray", reason='Ray is not installed (pip install -e ".[ray]")')
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens on it
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = make_class_folder(tmp_path / "data", {"A": 3, "B": 3})
    argv = [
        "check",
        str(data),
        "--out",
        str(tmp_path / "r"),
        "--engine",
        "ray",
        "--address",
        f"127.0.0.1:{port}",
    ]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert f"cannot join the Ray cluster at 127.0.0.1:{port}: nothing answers there" in err
    assert main([*argv[:-1], "no-port-here"]) == 2
    assert "--address must be auto or HOST:PORT" in capsys.readouterr().err
