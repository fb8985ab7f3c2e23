"""The Live tab's light endpoint: one small POST per landmarks message, answered without Gradio's own
per-request work (its event routing, session lookup, pre- and post-processing: ~7 ms of CPU a message,
against ~0.3 ms for the answer itself).

    POST <app>/gradio_api/dactyl/live
    X-Dactyl-Live: <token>            the link the page got from one Gradio event of its own session
    body: one landmarks message       (sign_ml.landmark_messages; at most MAX_MESSAGE_CHARS bytes)

    200 {"status": "ok", "letter", "word", "prompt", "summary"}       null where unchanged
    413 / 422 / 429 {"status": "refused" | "flood", "letter": line}   too large, malformed, too many
    401 / 403 / 404 / 503 {"error": line}   not logged in, no such link (or another site's page), no Live
                                            tab, an answer that failed; the page falls back to the event

The answer is `live_browser.answer_message`, the very function behind the Gradio event, for the session's
own LiveSession (the object its gr.State holds: word, practice, rate limit), so both ways share one commit
rule and one rate limit. The token is made by a Gradio event (`LiveLinks.issue`) and stands for that
session only: 32 random bytes, at most `CAPACITY` alive (the least recently used go first), dropped when
the tab closes or after `IDLE_S` without a message. The app's login applies as to every Gradio route: with
--auth a caller without Gradio's login cookie is refused, and a token serves only the user it was issued
to. The request-body limit middleware applies as to every request, and this route reads at most one
message's bytes.
"""

from __future__ import annotations

import inspect
import logging
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from sign_ml.landmark_messages import MAX_MESSAGE_CHARS
from sign_ml.ui.i18n import text

log = logging.getLogger(__name__)

PATH = "/gradio_api/dactyl/live"  # under Gradio's prefix: wherever the app's API is proxied, so is this
TOKEN_HEADER = "x-dactyl-live"
CAPACITY = 1000  # live links alive at once (sign_ml.ui.app.STATE_SESSIONS: as many as Gradio keeps states)
IDLE_S = 600.0  # s without a message before a link expires (a page that sends nothing has stopped)
ENDPOINT_ATTR = "dactyl_live_endpoint"  # where `attach` leaves the endpoint on the Blocks
STATUS = {"ok": 200, "refused": 422, "flood": 429}


@dataclass
class _Link:
    session: Any  # the page's LiveSession
    user: str | None  # who was logged in when it was issued (None: the app has no login)
    session_hash: str | None
    used_s: float


class LiveLinks:
    """Tokens → LiveSessions: unguessable, bounded in count, expiring. Thread-safe; clock injectable."""

    def __init__(self, capacity: int = CAPACITY, idle_s: float = IDLE_S):
        self.capacity = int(capacity)
        self.idle_s = float(idle_s)
        self._links: OrderedDict[str, _Link] = OrderedDict()  # least recently used first
        self._token_of: dict[int, str] = {}  # id(session) → its token
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._links)

    def issue(
        self, session: Any, user: str | None, session_hash: str | None, now_s: float | None = None
    ) -> str:
        """The session's token (its live one again, or a fresh one), usable by `user` only."""
        now = time.monotonic() if now_s is None else now_s
        with self._lock:
            self._expire(now)
            token = self._token_of.get(id(session))  # a live link holds its session: ids stay unique
            old = self._links.get(token or "")
            if token and old is not None and old.user == user:
                old.used_s = now
                self._links.move_to_end(token)
                return token
            token = secrets.token_urlsafe(32)
            self._links[token] = _Link(session, user, session_hash, now)
            self._token_of[id(session)] = token
            while len(self._links) > self.capacity:
                self._forget(next(iter(self._links)))
            return token

    def session_for(self, token: Any, user: str | None, now_s: float | None = None) -> Any | None:
        """The LiveSession a token stands for, when it is alive and `user`'s; else None."""
        now = time.monotonic() if now_s is None else now_s
        if not isinstance(token, str) or not token:
            return None
        with self._lock:
            self._expire(now)
            link = self._links.get(token)
            if link is None or link.user != user:
                return None
            link.used_s = now
            self._links.move_to_end(token)
            return link.session

    def drop(self, session_hash: str | None) -> int:
        """Forget the links of a Gradio session whose tab closed. → how many."""
        if not session_hash:
            return 0
        with self._lock:
            gone = [t for t, link in self._links.items() if link.session_hash == session_hash]
            for token in gone:
                self._forget(token)
            return len(gone)

    def _forget(self, token: str) -> None:
        link = self._links.pop(token)
        if self._token_of.get(id(link.session)) == token:
            del self._token_of[id(link.session)]

    def _expire(self, now: float) -> None:
        while self._links:
            token, link = next(iter(self._links.items()))
            if now - link.used_s <= self.idle_s:
                return
            self._forget(token)


@dataclass(frozen=True)
class Endpoint:
    """What the route answers with: the app (the page's language), its links, and the answer itself:
    answer(session, body, lang, locked) → live_browser.Reply (locked: the caller holds session.lock), the
    function behind the Gradio event too (live_browser passes it, so this module imports no tab)."""

    app: Any  # sign_ml.ui.app.DactylApp
    links: LiveLinks
    answer: Callable[[Any, bytes, str, bool], Any]


def attach(blocks: Any, endpoint: Endpoint) -> None:
    """Leave the endpoint on the Blocks, where the route finds it through the Gradio app serving them."""
    setattr(blocks, ENDPOINT_ATTR, endpoint)


def routes() -> list[Route]:
    """The route to add to the app Gradio serves (`launch_kwargs` passes it in `app_kwargs`)."""
    return [Route(PATH, live_message, methods=["POST"], name="dactyl_live")]


async def login_user(request: Request) -> tuple[bool, str | None]:
    """(whether the app has a login, the logged-in user or None), by Gradio's own rule (its /user route):
    the app's auth dependency, else its login cookie."""
    gradio_app = request.app
    dependency = getattr(gradio_app, "auth_dependency", None)
    if dependency is not None:
        user = dependency(request)
        if inspect.isawaitable(user):
            user = await user
        return True, user
    if getattr(gradio_app, "auth", None) is None:
        return False, None
    cookie_id = getattr(gradio_app, "cookie_id", "")
    cookie = request.cookies.get(f"access-token-{cookie_id}") or request.cookies.get(
        f"access-token-unsecure-{cookie_id}"
    )
    return True, getattr(gradio_app, "tokens", {}).get(cookie)


def same_site(request: Request) -> bool:
    """A browser's request from this app's own page (or no browser at all): its Origin is the host."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    netloc = urlsplit(origin).netloc
    return netloc in {request.headers.get("host"), request.headers.get("x-forwarded-host")}


def _error(status: int, line: str) -> JSONResponse:
    return JSONResponse({"error": line}, status_code=status)


async def live_message(request: Request) -> JSONResponse:
    """One landmarks message for the session its token stands for (see the module's docstring)."""
    get_blocks = getattr(request.app, "get_blocks", None)
    endpoint = getattr(get_blocks(), ENDPOINT_ATTR, None) if get_blocks else None
    if endpoint is None:
        return _error(404, "this app has no Live tab")
    if not same_site(request):
        return _error(403, "refused: a request from another site's page")
    needs_login, user = await login_user(request)
    if needs_login and user is None:
        return _error(401, "not logged in")
    session = endpoint.links.session_for(request.headers.get(TOKEN_HEADER), user)
    if session is None:
        return _error(403, "no such live link (expired, or never issued to this page)")
    lang = endpoint.app.lang_of(request)
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_MESSAGE_CHARS):
        return _too_large(lang, declared)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MESSAGE_CHARS:  # a chunked body: stop reading where it passes the limit
            return _too_large(lang, f"over {MAX_MESSAGE_CHARS}")
    try:
        if session.lock.acquire(blocking=False):
            # answered right here (~0.2 ms of CPU): a worker thread's hand-off cost about as much again
            try:
                reply = endpoint.answer(session, bytes(body), lang, True)
            finally:
                session.lock.release()
        else:  # the session's other event holds it (a frame on the server path): wait in a worker thread
            reply = await run_in_threadpool(endpoint.answer, session, bytes(body), lang, False)
    except Exception as exc:  # the model failed: one line in the log, the page falls back to the event
        log.warning("live message failed: %s: %s", type(exc).__name__, exc)
        return _error(503, "the answer failed; try the Gradio event")
    payload = {
        "status": reply.status,
        "letter": reply.letter,
        "word": reply.word,
        "prompt": reply.prompt,
        "summary": reply.summary,
    }
    return JSONResponse(payload, status_code=STATUS[reply.status])


def _too_large(lang: str, size: str) -> JSONResponse:
    reason = f"message too large: {size} bytes (at most {MAX_MESSAGE_CHARS})"
    line = f"**{text('live_refused', lang, reason=reason)}**"
    return JSONResponse({"status": "refused", "letter": line}, status_code=413)
