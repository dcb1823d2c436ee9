"""A backstop on every request of every service: no string, list, object or
nesting in a JSON body, and no query value, past a size no field of any API needs.

Fields keep their own, tighter limits in their schemas (README, "Limits"); this catches the ones
a schema forgot and inputs no schema sees (a body nested so deep that parsing it would exhaust
the stack), with a 400 naming the field before any route's code runs.
"""
from __future__ import annotations

from flask import current_app, request

from .errors import Problem

MAX_STRING_CHARS = 10_000   # the longest field of any API is 5,000 (a follow-up's content)
MAX_ITEMS = 1_000           # list items or object members; a batch of leads takes 500
MAX_DEPTH = 32              # the deepest body of any API nests 4 levels
MAX_QUERY_VALUE_CHARS = 1_000
MAX_KEY_CHARS = 200         # an object member's name


def body_up_to(most: int):
    """Decorator of a view that takes a body larger than the app's (a CSV import): `most` bytes, 413 past it."""
    def mark(view):
        view.max_body_bytes = most
        return view
    return mark


def check_request() -> None:
    """before_request: refuse an oversized query value or JSON body part with 400 naming it."""
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "max_body_bytes", None):
        request.max_content_length = view.max_body_bytes  # this route's own limit, before any byte is read
    for name, value in request.args.items(multi=True):
        if len(value) > MAX_QUERY_VALUE_CHARS:
            raise _too_big(name, f"at most {MAX_QUERY_VALUE_CHARS} characters")
    if request.content_length is None:
        _check_chunked_size()
    if not request.is_json or not request.get_data(cache=True):
        return
    try:
        body = request.get_json(silent=True)  # cached: the route's parser reads the same object
    except RecursionError:
        raise _too_big(None, f"nested deeper than {MAX_DEPTH} levels") from None
    _check_value(body)


def _check_chunked_size() -> None:
    """A chunked body declares no length: the server stops reading it at the body limit, which would
    hand a route the body cut short. One that reaches the limit is refused as too large (413, as one
    that declares its length); the body is kept, so the route reads the same bytes (JSON, CSV, form)."""
    most = request.max_content_length
    if most is not None and len(request.get_data(cache=True)) >= most:
        raise Problem(413, f"the body is larger than {most} bytes")


def _check_value(body) -> None:
    stack = [(body, "", 0)]  # a loop, not recursion: the walk itself must not run out of stack
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise _too_big(path or None, f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise _too_big(path or None, f"at most {MAX_STRING_CHARS} characters")
        if isinstance(value, (list, dict)) and len(value) > MAX_ITEMS:
            raise _too_big(path or None, f"at most {MAX_ITEMS} items")
        if isinstance(value, dict):
            long_key = next((k for k in value if len(k) > MAX_KEY_CHARS), None)
            if long_key is not None:
                raise _too_big(path or None, f"member names of at most {MAX_KEY_CHARS} characters")
            stack += [(v, f"{path}.{k}" if path else str(k), depth + 1) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(v, f"{path}.{i}" if path else str(i), depth + 1) for i, v in enumerate(value)]


def _too_big(field: str | None, message: str) -> Problem:
    return Problem(400, "the request has a value over its size limit", errors=[{"field": field, "message": message}])
