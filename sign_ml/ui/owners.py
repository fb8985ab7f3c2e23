"""Who may write: the app's owner role, checked on the server in every event that writes, trains, publishes
or changes the workspace, whatever the page shows.

Three ways to have an owner:
- local: the app serves only loopback (127.0.0.1, ::1, localhost) and has no login; whoever can reach it
  is the machine's user, so every caller is the owner (the way the app has always run on a laptop);
- password: `--auth USER:PASSWORD` (or $DACTYL_AUTH) turns on Gradio's own login; every logged-in user
  is an owner (Gradio refuses every route to anyone else);
- oauth: on a Hugging Face Space with `hf_oauth: true` in its README, "Sign in with Hugging Face"
  (`gr.LoginButton`); the owners are the usernames in $DACTYL_OWNERS (comma-separated), else the Space's
  author ($SPACE_AUTHOR_NAME). Recognize and Live stay open to every visitor.
A workspace served beyond loopback with none of these is refused at start-up (`start_refusal`).

`api_visibility="private"` only hides an event from the API page: `POST /gradio_api/queue/join` with its
`fn_index` still runs it. So `guard_events` wraps each owner-only event's function itself.
"""

from __future__ import annotations

import functools
import inspect
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import gradio as gr

from sign_ml.ui.i18n import pick_lang, text

log = logging.getLogger(__name__)

AUTH_ENV = "DACTYL_AUTH"  # USER:PASSWORD, as --auth
OWNERS_ENV = "DACTYL_OWNERS"  # Hugging Face usernames allowed to write on a Space, comma-separated
QUIET_TRIGGERS = (
    "load",
    "tick",
)  # the page's own refreshes: a visitor who is no owner gets nothing, no error


@dataclass(frozen=True)
class Owners:
    """kind: "local" | "password" | "oauth"; names: the usernames allowed (unused for "local")."""

    kind: str
    names: frozenset[str] = frozenset()

    def allows(self, request: gr.Request | None) -> bool:
        if self.kind == "local":
            return True
        name = caller_name(request)
        return name is not None and name in self.names

    @property
    def needs_login_button(self) -> bool:
        return self.kind == "oauth"


LOCAL = Owners("local")


def caller_name(request: gr.Request | None) -> str | None:
    """The caller's username: Gradio's login (`request.username`), else the Hugging Face OAuth session's
    `preferred_username` (what gr.OAuthProfile.username is built from), else None (anonymous)."""
    if request is None:
        return None
    if getattr(request, "username", None):
        return str(request.username)
    underlying = getattr(request, "request", None) or request
    scope = getattr(underlying, "scope", None)
    session = scope.get("session") if isinstance(scope, dict) else None
    info = session.get("oauth_info") if isinstance(session, dict) else None
    if not isinstance(info, dict):
        return None
    expires = info.get("expires_at")
    if isinstance(expires, int | float) and expires < time.time():
        return None
    user = (info.get("userinfo") or {}).get("preferred_username")
    return str(user) if user else None


def parse_auth(value: str | None) -> tuple[str, str] | None:
    """ "USER:PASSWORD" → (user, password); None/"" → None. ValueError names what is wrong."""
    if not value:
        return None
    user, sep, password = value.partition(":")
    if not sep or not user.strip() or not password:
        raise ValueError(f"--auth/{AUTH_ENV} must be USER:PASSWORD with both parts non-empty")
    return user.strip(), password


def is_loopback(host: str) -> bool:
    """True for an address only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = (host or "").strip().strip("[]")
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve_owners(
    host: str,
    auth: tuple[str, str] | None,
    space_id: str | None,
    owners_env: str | None,
    author: str | None,
    oauth_enabled: bool = False,
) -> Owners | None:
    """Who owns this app: password login, else OAuth on a Space that turned it on (`hf_oauth: true` gives
    it OAUTH_CLIENT_ID), else the local user on loopback, else no one."""
    if auth is not None:
        return Owners("password", frozenset({auth[0]}))
    if space_id and oauth_enabled:
        names = [n.strip() for n in (owners_env or author or "").split(",") if n.strip()]
        return Owners("oauth", frozenset(names)) if names else None
    return LOCAL if is_loopback(host) else None


def owners_from_environment(host: str, auth: tuple[str, str] | None) -> Owners | None:
    """resolve_owners with the Space's own variables (SPACE_ID, SPACE_AUTHOR_NAME) and $DACTYL_OWNERS."""
    return resolve_owners(
        host,
        auth,
        os.environ.get("SPACE_ID"),
        os.environ.get(OWNERS_ENV),
        os.environ.get("SPACE_AUTHOR_NAME"),
        oauth_enabled=bool(os.environ.get("OAUTH_CLIENT_ID")),
    )


def start_refusal(workspace: str | None, host: str, owners: Owners | None) -> str | None:
    """Why the app must not start as asked (one line naming the fix), or None when it may."""
    if workspace and owners is None:
        return (
            f"--workspace on {host} would let anyone on the network record, train and publish with this "
            f"server's token; add --auth USER:PASSWORD (or {AUTH_ENV}), serve on 127.0.0.1, or on a "
            f"Hugging Face Space turn on OAuth (hf_oauth: true) and set {OWNERS_ENV}"
        )
    return None


def _refusal(request: gr.Request | None) -> gr.Error:
    header = request.headers.get("accept-language") if request is not None and request.headers else None
    return gr.Error(text("owner_only", pick_lang(header, None)), print_exception=False)


def _current_request() -> gr.Request | None:
    from gradio.context import LocalContext

    return LocalContext.request.get(None)


def guard(fn: Callable[..., Any], owners: Owners | None, quiet: bool = False, n_outputs: int = 1) -> Callable:
    """`fn`, refusing every caller `owners` does not allow before it runs (gr.Error, or for the page's
    own refreshes, `quiet`, no change at all). The signature stays fn's, so Gradio injects the same."""

    def allowed() -> bool:
        return owners is not None and owners.allows(_current_request())

    def refuse() -> Any:
        request = _current_request()
        who = caller_name(request) or "anonymous"
        log.warning("refused %s for %s: not an owner", getattr(fn, "__name__", "an event"), who)
        if quiet:
            skips = tuple(gr.skip() for _ in range(n_outputs))
            return skips[0] if n_outputs == 1 else skips
        raise _refusal(request)

    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise TypeError(f"guard: {fn!r} is async; wrap it by hand")
    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def guarded_gen(*args: Any, **kwargs: Any) -> Iterator[Any]:
            if not allowed():
                yield refuse()
                return
            yield from fn(*args, **kwargs)

        guarded_gen.owner_only = True  # type: ignore[attr-defined]
        return guarded_gen

    @functools.wraps(fn)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs) if allowed() else refuse()

    guarded.owner_only = True  # type: ignore[attr-defined]
    return guarded


def guard_events(block_fns: Iterable[Any], owners: Owners | None) -> int:
    """Wrap every BlockFunction's `fn` in `guard`; the page's load/tick refreshes refuse quietly. → count."""
    n = 0
    for block_fn in block_fns:
        if block_fn.fn is None or getattr(block_fn.fn, "owner_only", False):
            continue
        triggers = {name for _, name in (block_fn.targets or [])}
        quiet = bool(triggers) and triggers <= set(QUIET_TRIGGERS)
        block_fn.fn = guard(block_fn.fn, owners, quiet=quiet, n_outputs=len(block_fn.outputs))
        n += 1
    return n


@contextmanager
def owner_only(blocks: gr.Blocks, owners: Owners | None) -> Iterator[None]:
    """Every event registered inside this block runs only for an owner."""
    before = set(blocks.fns)
    yield
    guard_events([fn for key, fn in blocks.fns.items() if key not in before], owners)
