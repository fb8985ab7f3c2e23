"""The recording workspace: safe names, photos that never overwrite, a metadata.csv that loses no row."""

from __future__ import annotations

import hashlib
import io
import json
import multiprocessing
import os
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from curation.alphabet import UKRAINIAN_ALPHABET
from curation.loading import load_table
from curation.workspace import (
    ALPHABETS,
    METADATA_COLUMNS,
    NameRefused,
    Workspace,
    parse_custom_alphabet,
    safe_letter,
    safe_signer,
)


def jpeg(seed: int, size: int = 40) -> bytes:
    """Distinct small JPEG bytes (seeded blocks)."""
    rng = np.random.default_rng(seed)
    image = Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).resize(
        (size, size), Image.NEAREST
    )
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return buffer.getvalue()


def tree(root: Path) -> dict[str, bytes]:
    """Every file below root with its bytes (hidden files included)."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- names ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["olena", "Олена", "p-2", "7", "ß", "x" * 32, "  anna  "])
def test_safe_signer_accepts_letters_digits_hyphen(name: str) -> None:
    assert safe_signer(name) == name.strip()


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "a/b",
        "..",
        ".",
        "a\\b",
        "a\x00b",
        "",
        "   ",
        "a b",
        "a_b",
        "a.b",
        ".hidden",
        "-rf",
        "x" * 33,
        "tab\there",
        "new\nline",
        "a:b",
        "a*b",
        "😀",
    ],
)
def test_safe_signer_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(NameRefused) as info:
        safe_signer(name)
    assert str(info.value).startswith(f"signer {name!r} refused: allowed")  # names the field and the value
    assert info.value.field == "signer" and isinstance(info.value, ValueError)


def test_name_refused_also_takes_a_plain_message() -> None:
    exc = NameRefused("not in this workspace's alphabet: Q")
    assert (
        str(exc) == "not in this workspace's alphabet: Q" and isinstance(exc, ValueError) and exc.field == ""
    )
    assert str(NameRefused("letter", "../x", "letters")) == "letter '../x' refused: allowed letters"


def test_safe_signer_is_nfc() -> None:
    nfd = unicodedata.normalize("NFD", "Йосип")
    assert nfd != "Йосип" and safe_signer(nfd) == "Йосип"


@pytest.mark.parametrize(
    "name",
    [
        "..",
        "../А",
        "/etc",
        ".hidden",
        "А/Б",
        "a\\b",
        "",
        "a:b",
        "A.B",
        "a\x00",
        "\x07",
        "a b",
        "x" * 17,
        "train",
        "Test",
        "__MACOSX",
        "-x",
    ],
)
def test_safe_letter_refuses_unsafe_names(name: str) -> None:
    with pytest.raises(NameRefused, match=r"^letter .* refused: allowed"):
        safe_letter(name)


def test_safe_letter_accepts_letters_and_normalizes() -> None:
    assert safe_letter(unicodedata.normalize("NFD", "Й")) == "Й"
    assert [safe_letter(x) for x in ["А", "Ch", "5", "Ь", " Ї ", "A'"]] == ["А", "Ch", "5", "Ь", "Ї", "A'"]


def test_parse_custom_alphabet() -> None:
    assert parse_custom_alphabet("A, B  C,\nCh") == ["A", "B", "C", "Ch"]
    with pytest.raises(NameRefused, match="repeated"):
        parse_custom_alphabet("A, B, A")
    with pytest.raises(NameRefused, match="repeated"):  # the same letter after NFC
        parse_custom_alphabet(f"Й, {unicodedata.normalize('NFD', 'Й')}")
    with pytest.raises(NameRefused, match=r"letter '\.\./x'"):
        parse_custom_alphabet("A, ../x")
    with pytest.raises(NameRefused, match="at least one"):
        parse_custom_alphabet(" , ")


def test_alphabets() -> None:
    assert (
        ALPHABETS["ukrainian"] == tuple(x.char for x in UKRAINIAN_ALPHABET)
        and len(ALPHABETS["ukrainian"]) == 33
    )
    assert ALPHABETS["asl"] == tuple("ABCDEFGHIJKLMNOPQRSTUVWXYZ")


# --- the workspace folder ------------------------------------------------------------------------------


def test_workspace_root_is_created_and_a_file_is_refused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "new" / "ws")
    assert ws.root == (tmp_path / "new" / "ws").resolve() and ws.root.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(NotADirectoryError, match="file.*is a file"):
        Workspace(tmp_path / "file")


def test_workspace_not_writable_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    if os.geteuid() == 0:  # root may write anyway: ask the question the way a normal user's run would answer
        monkeypatch.setattr(os, "access", lambda path, mode: False)
    try:
        with pytest.raises(PermissionError, match=r"ro: the workspace folder is not writable"):
            Workspace(ro)
    finally:
        ro.chmod(0o755)


def test_alphabet_default_set_and_custom(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    assert ws.alphabet() == ("ukrainian", list(ALPHABETS["ukrainian"]))
    assert ws.set_alphabet("asl") == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    assert ws.alphabet()[0] == "asl"
    assert ws.set_alphabet("custom", ["A", unicodedata.normalize("NFD", "Й"), "Ch"]) == ["A", "Й", "Ch"]
    assert Workspace(ws.root).alphabet() == ("custom", ["A", "Й", "Ch"])  # kept in workspace.json
    for bad in (["A", "../x"], ["A", "A"], [], ["A B"]):
        with pytest.raises(NameRefused):
            ws.set_alphabet("custom", bad)
    with pytest.raises(ValueError, match="unknown"):
        ws.set_alphabet("klingon")
    assert ws.alphabet() == ("custom", ["A", "Й", "Ch"])  # refused calls changed nothing
    assert not list(ws.root.glob(".workspace.json.*"))  # no temporary file left


def test_a_hand_edited_alphabet_with_a_traversal_letter_is_refused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    (ws.root / "workspace.json").write_text(
        '{"alphabet": {"kind": "custom", "letters": ["A", "../../evil"]}}'
    )
    with pytest.raises(ValueError, match="workspace.json.*evil"):
        ws.alphabet()
    with pytest.raises(ValueError, match="workspace.json"):
        ws.save_photo(jpeg(0), signer="anna", session=1, letter="A")
    assert not (tmp_path / "evil").exists()


# --- saving photos -------------------------------------------------------------------------------------


def test_save_photo_writes_file_and_row(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    when = datetime(2026, 11, 22, 21, 0, 5, 123000, tzinfo=timezone(timedelta(hours=2)))
    data = jpeg(1)
    saved = ws.save_photo(data, signer="olena", session=1, letter="А", handedness="Right", when=when)
    assert saved.relpath == "А/olena_1_001.jpg" and saved.n == 1 and saved.session == 1
    assert saved.path == ws.root / "А" / "olena_1_001.jpg" and saved.path.read_bytes() == data
    meta = ws.metadata()
    assert list(meta.columns) == METADATA_COLUMNS
    assert meta.to_dict("records") == [
        {
            "file_name": "А/olena_1_001.jpg",
            "signer": "olena",
            "session": "1",
            "letter": "А",
            "time": "2026-11-22T19:00:05.123+00:00",
            "handedness": "Right",
            "landmarks": "",
        }
    ]
    points = np.linspace(0, 1, 63).reshape(21, 3)
    with_hand = ws.save_photo(jpeg(3), signer="olena", session=1, letter="Б", landmarks=points)
    row = ws.metadata().set_index("file_name").loc[with_hand.relpath]
    assert np.allclose(json.loads(row["landmarks"]), points, atol=1e-5)
    with pytest.raises(ValueError, match="21 finite"):
        ws.save_photo(jpeg(4), signer="olena", session=1, letter="Б", landmarks=points[:20])
    second = ws.save_photo(jpeg(2), signer="olena", session=1, letter="А")
    assert second.relpath == "А/olena_1_002.jpg"
    assert datetime.fromisoformat(ws.metadata()["time"][1]).tzinfo == UTC
    assert not [p for p in ws.root.rglob(".recording-*")]  # temporary files are gone


def test_nfd_letter_is_saved_under_the_nfc_folder(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    saved = ws.save_photo(jpeg(0), signer="anna", session=1, letter=unicodedata.normalize("NFD", "Й"))
    assert saved.letter == "Й" and saved.relpath == "Й/anna_1_001.jpg"
    assert [p.name for p in ws.root.iterdir() if p.is_dir() and not p.name.startswith(".")] == ["Й"]
    assert ws.metadata()["letter"].tolist() == ["Й"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("signer", "../x"),
        ("signer", "a/b"),
        ("signer", ".."),
        ("signer", "a\\b"),
        ("signer", "a\x00b"),
        ("signer", ""),
        ("letter", ".."),
        ("letter", "../А"),
        ("letter", "/etc"),
        ("letter", ".hidden"),
        ("letter", "Q"),
        ("letter", "a"),
    ],
)
def test_refused_names_write_nothing_anywhere(tmp_path: Path, field: str, value: str) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")
    before = tree(tmp_path)
    kwargs = {"signer": "anna", "session": 1, "letter": "Б", field: value}
    with pytest.raises(NameRefused) as info:
        ws.save_photo(jpeg(1), **kwargs)
    assert info.value.field == field and repr(value) in str(info.value)
    assert tree(tmp_path) == before  # nothing new or changed, inside or outside the workspace


def test_letter_outside_the_alphabet_names_the_alphabet(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    with pytest.raises(
        NameRefused, match=r"letter 'А' refused: allowed a letter of the workspace's asl alphabet: A B"
    ):
        ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")  # Cyrillic А, not Latin A
    assert ws.save_photo(jpeg(0), signer="anna", session=1, letter="A").relpath == "A/anna_1_001.jpg"


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"session": 0}, "session"),
        ({"session": "1"}, "session"),
        ({"session": True}, "session"),
        ({"handedness": "left"}, "handedness"),
        ({"jpeg": b"\x89PNG\r\n\x1a\nxxxx"}, "not JPEG"),
        ({"jpeg": "not bytes"}, "must be JPEG bytes"),
    ],
)
def test_bad_session_handedness_or_bytes_are_refused(tmp_path: Path, kwargs: dict, match: str) -> None:
    ws = Workspace(tmp_path / "ws")
    args = {"jpeg": jpeg(0), "signer": "anna", "session": 1, "letter": "А"} | kwargs
    with pytest.raises((ValueError, TypeError), match=match):
        ws.save_photo(args.pop("jpeg"), **args)
    assert tree(ws.root) == {}


def test_a_symlinked_letter_folder_pointing_outside_is_refused(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    outside = tmp_path / "outside"
    outside.mkdir()
    (ws.root / "Б").symlink_to(outside, target_is_directory=True)
    with pytest.raises(NameRefused, match="path"):
        ws.save_photo(jpeg(0), signer="anna", session=1, letter="Б")
    assert list(outside.iterdir()) == [] and ws.metadata().empty


def test_never_overwrites_an_existing_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    first = ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")
    # a file planted under the name the next photo would take, and one far ahead
    planted = ws.root / "А" / "anna_1_002.jpg"
    planted.write_bytes(b"precious, not a recording")
    ahead = ws.root / "А" / "anna_1_004.jpg"
    ahead.write_bytes(b"also precious")
    new = ws.save_photo(jpeg(1), signer="anna", session=1, letter="А")
    assert new.n == 5 and new.path.read_bytes() == jpeg(1)
    assert planted.read_bytes() == b"precious, not a recording" and ahead.read_bytes() == b"also precious"
    assert first.path.read_bytes() == jpeg(0)


def test_the_name_taken_between_scan_and_link_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another writer creating the chosen name first (a race the folder scan cannot see) moves us on to n+1."""
    ws = Workspace(tmp_path / "ws")
    real_link = os.link

    def racing_link(src, dst, *args, **kwargs):
        if Path(dst).name == "anna_1_001.jpg" and not Path(dst).exists():
            Path(dst).write_bytes(b"the other browser's photo")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "link", racing_link)
    saved = ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")
    assert saved.n == 2 and (ws.root / "А" / "anna_1_001.jpg").read_bytes() == b"the other browser's photo"


def test_without_hard_links_exclusive_create_still_never_overwrites(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = Workspace(tmp_path / "ws")
    (ws.root / "А").mkdir()
    (ws.root / "А" / "anna_1_001.jpg").write_bytes(b"kept")

    def no_link(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")  # as on FAT or some network mounts

    monkeypatch.setattr(os, "link", no_link)
    # the folder scan misses the file: O_EXCL alone must catch it
    monkeypatch.setattr(os, "scandir", lambda path: iter(()))
    saved = ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")
    assert saved.n == 2 and saved.path.read_bytes() == jpeg(0)
    assert (ws.root / "А" / "anna_1_001.jpg").read_bytes() == b"kept"
    assert ws.metadata()["file_name"].tolist() == ["А/anna_1_002.jpg"]


def _check_consistent(ws: Workspace, sent: dict[str, str]) -> None:
    """Every photo sent is one file with its own bytes and one whole metadata row; nothing else is there."""
    files = {p.relative_to(ws.root).as_posix(): sha(p.read_bytes()) for p in ws.root.rglob("*.jpg")}
    assert files == sent
    meta = ws.metadata()
    assert sorted(meta["file_name"]) == sorted(sent) and meta["file_name"].is_unique
    assert (meta["signer"] != "").all() and (meta["letter"] != "").all()
    assert all(datetime.fromisoformat(t) for t in meta["time"])  # no torn or interleaved row
    text = (ws.root / "metadata.csv").read_text(encoding="utf-8")
    assert text.count("file_name") == 1 and text.count("\n") == len(sent) + 1


def test_eight_threads_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    barrier = threading.Barrier(8)

    def record(worker: int) -> list[tuple[str, str]]:
        barrier.wait()
        out = []
        for i in range(6):
            data = jpeg(worker * 100 + i)
            # all workers write the same signer, session and letter: they compete for the same numbers
            out.append((ws.save_photo(data, signer="anna", session=1, letter="А").relpath, sha(data)))
        return out

    with ThreadPoolExecutor(8) as pool:
        results = [pair for chunk in pool.map(record, range(8)) for pair in chunk]
    sent = dict(results)
    assert len(sent) == 48  # every call got its own name
    _check_consistent(ws, sent)
    assert sorted(int(Path(r).stem.rsplit("_", 1)[1]) for r in sent) == list(range(1, 49))


def test_a_row_waits_for_the_metadata_lock(tmp_path: Path) -> None:
    """While another writer holds the lock, the photo and its row wait (so a workspace opened meanwhile never
    sees a photo without its row); then both are written."""
    import fcntl

    ws = Workspace(tmp_path / "ws")
    at_the_lock = threading.Event()
    locked = ws._locked

    def signalling_lock():  # the writer says when it asks for the lock: a condition to wait on, not a sleep
        at_the_lock.set()
        return locked()

    ws._locked = signalling_lock
    with open(ws.root / ".metadata.lock", "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        writer = threading.Thread(
            target=ws.save_photo, args=(jpeg(0),), kwargs={"signer": "anna", "session": 1, "letter": "А"}
        )
        writer.start()
        assert at_the_lock.wait(60)
        # it cannot pass the lock while this test holds it: nothing is written, however long one looks
        assert writer.is_alive() and not (ws.root / "А" / "anna_1_001.jpg").exists() and ws.metadata().empty
        fcntl.flock(lock.fileno(), fcntl.LOCK_UN)
    writer.join(30)
    assert not writer.is_alive() and ws.metadata()["file_name"].tolist() == ["А/anna_1_001.jpg"]


def _record_in_process(root: str, worker: int, count: int) -> list[tuple[str, str]]:
    ws = Workspace(root)
    out = []
    for i in range(count):
        data = jpeg(10_000 + worker * 100 + i)
        out.append((ws.save_photo(data, signer="boris", session=2, letter="Б").relpath, sha(data)))
    return out


def test_two_processes_saving_at_once_lose_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ctx = multiprocessing.get_context("spawn")  # no fork of a process that may hold threads
    with ctx.Pool(2) as pool:
        chunks = pool.starmap(_record_in_process, [(str(ws.root), 0, 15), (str(ws.root), 1, 15)])
    sent = dict(pair for chunk in chunks for pair in chunk)
    assert len(sent) == 30
    _check_consistent(ws, sent)


# --- sessions ------------------------------------------------------------------------------------------


def test_new_session_numbers_count_up_per_signer(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    assert [ws.new_session("anna"), ws.new_session("anna"), ws.new_session("boris")] == [1, 2, 1]
    assert Workspace(ws.root).new_session("anna") == 3  # reservations outlive the object
    with pytest.raises(NameRefused):
        ws.new_session("../anna")
    assert not (tmp_path / "anna_1").exists()


def test_new_session_knows_sessions_from_metadata(tmp_path: Path) -> None:
    """A workspace copied without its hidden .sessions folder does not reuse a recorded session."""
    ws = Workspace(tmp_path / "ws")
    ws.save_photo(jpeg(0), signer="anna", session=4, letter="А")
    assert ws.new_session("anna") == 5


def test_concurrent_new_session_calls_get_different_sessions(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    barrier = threading.Barrier(8)

    def start(_: int) -> int:
        barrier.wait()
        return Workspace(ws.root).new_session("olena")  # as two browsers would: separate objects

    with ThreadPoolExecutor(8) as pool:
        sessions = list(pool.map(start, range(8)))
    assert sorted(sessions) == list(range(1, 9))


# --- reading it back -----------------------------------------------------------------------------------


def test_counts_grid_is_exact(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("custom", ["A", "B", "C"])
    for signer, letter, n in [("zoe", "A", 2), ("anna", "A", 1), ("anna", "C", 3)]:
        for i in range(n):
            ws.save_photo(jpeg(i), signer=signer, session=1, letter=letter)
    grid = ws.counts()
    expected = pd.DataFrame(
        {"anna": [1, 0, 3], "zoe": [2, 0, 0], "total": [3, 0, 3]},
        index=pd.Index(["A", "B", "C"], name="letter"),
    )
    pd.testing.assert_frame_equal(grid, expected)
    assert ws.signers() == ["anna", "zoe"]
    ws.set_alphabet("custom", ["B", "C"])  # A dropped from the alphabet: its photos still show, last
    assert ws.counts().index.tolist() == ["B", "C", "A"] and ws.counts()["total"].sum() == 6


def test_empty_workspace_counts_every_letter_zero(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    grid = ws.counts()
    assert grid.index.tolist() == list(ALPHABETS["ukrainian"]) and grid.columns.tolist() == ["total"]
    assert (grid["total"] == 0).all()
    assert ws.metadata().empty and list(ws.metadata().columns) == METADATA_COLUMNS and ws.signers() == []


def test_metadata_without_trailing_newline_gets_a_whole_row(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.save_photo(jpeg(0), signer="anna", session=1, letter="А")
    path = ws.root / "metadata.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))  # as an editor might save it
    ws.save_photo(jpeg(1), signer="anna", session=1, letter="А")
    assert ws.metadata()["file_name"].tolist() == ["А/anna_1_001.jpg", "А/anna_1_002.jpg"]


def test_malformed_metadata_names_the_file(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    (ws.root / "metadata.csv").write_text("name,who\nx,y\n")
    with pytest.raises(ValueError, match=r"metadata\.csv: missing column\(s\) file_name"):
        ws.metadata()


@pytest.mark.parametrize("relpath", ["../x", "/etc/passwd", "", ".", "А/../../x", "a\\..\\x", "a\x00"])
def test_inside_refuses_escapes(tmp_path: Path, relpath: str) -> None:
    ws = Workspace(tmp_path / "ws")
    with pytest.raises(NameRefused, match="path"):
        ws.inside(relpath)


def test_inside_resolves_paths_within(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    assert ws.inside("А/anna_1_001.jpg") == ws.root / "А" / "anna_1_001.jpg"
    assert ws.inside("А/./x/../y.jpg") == ws.root / "А" / "y.jpg"
    (ws.root / "link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(NameRefused):
        ws.inside("link/secret")


def test_load_table_reads_the_workspace_with_signers(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("custom", ["A", "B"])
    expected = {}
    for k, (signer, letter) in enumerate(
        [("anna", "A"), ("anna", "B"), ("boris", "A"), ("boris", "B"), ("boris", "B")]
    ):
        session = ws.new_session(signer) if k in (0, 2) else 1
        saved = ws.save_photo(jpeg(k), signer=signer, session=session, letter=letter)
        expected[saved.relpath] = (letter, signer)
    (ws.root / ".DS_Store").write_bytes(b"junk")  # hidden files in the root, as a Mac leaves them
    loaded = load_table(ws.root, group_column="signer")
    table = loaded.table
    assert loaded.class_names == ["A", "B"]
    assert {
        r: (lab, g) for r, lab, g in zip(table["relpath"], table["label"], table["group"], strict=True)
    } == expected
    # nothing from the workspace's own files became a photo; all of them are accounted for as skipped
    assert all(Path(p).suffix == ".jpg" for p in table["path"])
    skipped = {Path(p).name for p, _ in loaded.skipped}
    assert skipped <= {".DS_Store", ".sessions", ".metadata.lock", "workspace.json"}


# --- the hand stage on camera frames -------------------------------------------------------------------


def same(a, b) -> bool:
    """Two detections agree (as stored: landmarks to 5 decimals; arrays cannot be compared with ==)."""
    return a.to_dict() == b.to_dict()


class CountingStage:
    """A stand-in hand stage that counts its calls (a cache hit must not call it)."""

    fingerprint = "test:counting"

    def __init__(self) -> None:
        self.calls = 0

    def detect(self, image, source: str = ""):
        from conftest import EveryPhotoHasAHand

        self.calls += 1
        return EveryPhotoHasAHand().detect(image, source=source)


def test_detect_bytes_then_save_is_a_cache_hit(tmp_path: Path) -> None:
    from curation.hand_cache import HandCache, detect_bytes, detect_files

    stage, cache = CountingStage(), HandCache(tmp_path / "cache")
    frame = jpeg(7, size=64)
    detection = detect_bytes(frame, source="camera", stage=stage, cache=cache)
    assert stage.calls == 1 and detection.found and detection.source == "camera"
    assert (detection.width, detection.height) == (64, 64)
    saved = Workspace(tmp_path / "ws").save_photo(
        frame, signer="anna", session=1, letter="А", handedness=detection.hand.handedness
    )
    outcomes, summary = detect_files([saved.path], stage=stage, cache=cache, workers=1)
    assert stage.calls == 1 and summary.n_cached == 1 and outcomes[0].cached
    assert same(outcomes[0].detection, detection) and outcomes[0].detection.source == str(saved.path)
    assert same(detect_bytes(frame, stage=stage, cache=cache), detection) and stage.calls == 1
    assert same(detect_bytes(frame, stage=stage, cache=False), detection) and stage.calls == 2  # no cache
    cache.close()


def test_detect_bytes_refuses_undecodable_bytes(tmp_path: Path) -> None:
    from curation.hand_cache import HandCache, detect_bytes
    from curation.images import UnreadableImageError

    stage, cache = CountingStage(), HandCache(tmp_path / "cache")
    with pytest.raises(UnreadableImageError, match="^frame 3: "):
        detect_bytes(b"\xff\xd8\xff not really a jpeg", source="frame 3", stage=stage, cache=cache)
    assert stage.calls == 0 and len(cache) == 0
    cache.close()


@pytest.mark.shared_data
def test_detect_bytes_with_mediapipe_matches_detect_files(asl_sample: Path, tmp_path: Path) -> None:
    """The real stage (max_hands=2, as the Record tab uses it) on a real photo: same answer, then a cache hit."""
    from curation.hand_cache import HandCache, detect_bytes, detect_files
    from curation.hands import shared_stage

    assert shared_stage().options["max_hands"] == 2
    content = (asl_sample / "A" / "A0.jpg").read_bytes()
    cache = HandCache(tmp_path / "cache")
    detection = detect_bytes(content, source="frame", cache=cache)
    assert detection.found
    path = tmp_path / "A0.jpg"
    path.write_bytes(content)
    outcomes, summary = detect_files([path], cache=cache, workers=1)
    assert summary.n_cached == 1 and same(outcomes[0].detection, detection)
    fresh, _ = detect_files([path], cache=False, workers=1)
    assert same(fresh[0].detection, detection)  # the cache holds what detecting the file gives
    cache.close()
