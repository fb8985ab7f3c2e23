"""An exception as the one line a user sees (the CLIs, the background training job, the app's steps)."""

from __future__ import annotations

# errors whose message already says what went wrong; anything else also gets its type named
_PLAIN_ERRORS = (OSError, ValueError, RuntimeError, LookupError)


def one_line(exc: BaseException) -> str:
    """The exception as one line: its message's first line, with the type when the message alone is unclear."""
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    if isinstance(exc, _PLAIN_ERRORS) and not isinstance(exc, KeyError) and first:
        return first
    hint = "" if first else " (run with -v for the traceback)"
    return f"{type(exc).__name__}: {first}{hint}" if first else f"{type(exc).__name__}{hint}"
