"""How many landmarks messages a second the Live tab's browser path sends, and why not more: in headless
Chromium with a fake camera (a 15 fps y4m of a shipped demo thumbnail, tests/test_live_browser.py's set-up),
the demo model served in this process, the page's landmarker and fetch timed from inside the page.

Prints, over `--seconds` after the light endpoint's first answers: landmarker runs a second, messages sent
and answered a second, detectForVideo's time per frame, the light POST's round trip, how long a message
stays in flight and how long the page waits after an answer before the next send.

    flock /tmp/heavy.lock python benchmarks/live_browser_rate.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]  # the Live browser tests' camera and page helpers

STATS = "() => ({...window.dactylLive.state, landmarker: null, stream: null, reply: null, timer: null})"
# the page's landmarker, fetch and in-flight flag, timed from inside the page
INSTRUMENT = """async () => {
  const st = window.dactylLive.state, lm = await st.landmarker;
  window.__det = []; window.__post = []; window.__inf = [];
  const detect = lm.detectForVideo.bind(lm);
  lm.detectForVideo = (v, t) => { const a = performance.now(); const r = detect(v, t);
    window.__det.push(performance.now() - a); return r; };
  const f = window.fetch;
  window.fetch = async (...args) => { const a = performance.now(); const r = await f(...args);
    if (String(args[0]).includes('dactyl/live')) window.__post.push([a, performance.now() - a]); return r; };
  let v = st.inflight;
  Object.defineProperty(st, 'inflight', { get: () => v,
    set: (x) => { v = x; window.__inf.push([performance.now(), x]); } });
}"""


def median_p90(xs: list[float]) -> str:
    return f"median {statistics.median(xs):.1f}, p90 {sorted(xs)[int(0.9 * len(xs))]:.1f}" if xs else "none"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="how long to count, after warm-up")
    args = parser.parse_args(argv)
    from conftest import fake_camera_args, left_frame, sure_live_frame
    from playwright.sync_api import sync_playwright
    from test_app_browser import CHROMIUM, CHROMIUM_ARGS, free_port
    from test_live_browser import DEMO, live_tab, write_y4m

    from sign_ml.ui.app import DactylApp, launch_kwargs

    app = DactylApp(model=str(DEMO), data=None)
    found = sure_live_frame(app, left_frame)
    if found is None:
        print("no shipped thumbnail with a hand the video stage reads surely")
        return 1
    tmp = Path(tempfile.mkdtemp(prefix="live-rate-"))
    y4m = write_y4m(tmp / "camera.y4m", [found[0]] * 30, fps=15)
    port = free_port()
    demo = app.build()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True, **launch_kwargs()
    )
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=str(CHROMIUM), args=[*CHROMIUM_ARGS, *fake_camera_args(y4m)]
            )
            page = browser.new_context(
                viewport={"width": 1280, "height": 900}, permissions=["camera"]
            ).new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#photo", timeout=60_000)
            live_tab(page)
            page.wait_for_selector("#live-browser .live-start", timeout=30_000)
            page.locator("#live-browser .live-start").click()
            page.wait_for_function("() => window.dactylLive.state.light >= 3", timeout=120_000)
            page.evaluate(INSTRUMENT)
            s0, t0 = page.evaluate(STATS), time.monotonic()
            page.wait_for_timeout(args.seconds * 1000)
            s1, dt = page.evaluate(STATS), time.monotonic() - t0
            det, post, inf = (page.evaluate(f"() => window.{k}") for k in ("__det", "__post", "__inf"))
            fps = page.evaluate(
                "() => document.querySelector('#live-browser video').srcObject.getVideoTracks()[0]"
                ".getSettings().frameRate"
            )
            browser.close()
    finally:
        demo.close()
    busy = [b[0] - a[0] for a, b in zip(inf, inf[1:], strict=False) if a[1] and not b[1]]
    idle = [b[0] - a[0] for a, b in zip(inf, inf[1:], strict=False) if not a[1] and b[1]]
    gaps = [b[0] - a[0] for a, b in zip(post, post[1:], strict=False)]
    print(f"camera {fps} fps; new frames from requestVideoFrameCallback: {s1.get('frameCallbacks', False)}")
    print(
        f"over {dt:.1f} s: landmarker runs/s {(s1['frames'] - s0['frames']) / dt:.1f}, "
        f"messages sent/s {(s1['sent'] - s0['sent']) / dt:.1f}, answered/s {(s1['light'] - s0['light']) / dt:.1f}"
    )
    print(f"detectForVideo ms: {median_p90(det)} (n={len(det)})")
    print(
        f"light POST round trip ms: {median_p90([x[1] for x in post])}; between POSTs ms: {median_p90(gaps)}"
    )
    print(f"in flight ms: {median_p90(busy)}; answered → next send ms: {median_p90(idle)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
