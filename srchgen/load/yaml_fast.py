"""The load stage's fast path (srchgen/load/source.py): libyaml's events read flatly, for the
common, valid record, without the per-node positions and scalars only a problem's message needs.

`fast(fm)` gives (data, key marks, value marks) exactly as the full path would, or None when it
cannot vouch for the front matter; then source.py's full path runs and reports, so a record
with a problem always gets its full-path messages (tests/unit/test_source_fast.py compares both
over every corpus, the hostile cases and generated registries).
"""

from __future__ import annotations

import datetime
import re
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

try:  # SPEC §7: libyaml
    from yaml import CSafeLoader as _Loader
    from yaml._yaml import CParser as _CParser

    LIBYAML = True
except ImportError:  # pragma: no cover - depends on the platform's PyYAML build
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    _CParser = None  # type: ignore[assignment,misc]
    LIBYAML = False

MAX_DEPTH = 16  # the manifest nests 3 levels; anything deeper is hostile
Path_ = tuple[str | int, ...]
_T = "tag:yaml.org,2002:"
_constructor = SafeConstructor()


# Measured at 10,000 generated records (CPU, median of 7 alternating runs): parse_source
# 143 µs a record on the full path, 74 µs with this one. The full path's cost is Python work
# per node (the resolver, a Position and a Scalar per node) that only an error message
# needs; here libyaml's events are read in one flat loop (the events themselves are ~35 µs,
# the floor for PyYAML), a scalar's type is decided by PyYAML's own implicit resolvers (the
# table the full path uses), and only the plainest spelling of each non-text type is
# accepted. Everything else gives up. (A Rust parser is faster on data alone but gives no
# marks, which validate.Facts needs for every valid record.)


class _GiveUp(Exception):
    """The fast path cannot vouch for this front matter: the full path decides."""


_RESOLVERS: dict[str, list[tuple[str, re.Pattern[str]]]] = {
    k: list(v) for k, v in _Loader.yaml_implicit_resolvers.items() if k is not None
}
# A wildcard resolver would apply to every first character: then nothing is vouched for.
FAST = LIBYAML and None not in _Loader.yaml_implicit_resolvers

_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")  # no sign '+', octal 012, hex, '_' or sexagesimal
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})\.[0-9]{1,17}")  # no exponent, .inf, .nan, '_' or '1.'
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|[+-][0-9]{2}:[0-9]{2}))?")


def _vouch_bool(v: str) -> bool:
    if v == "true":
        return True
    if v == "false":
        return False
    raise _GiveUp  # yes, no, on, off, True, FALSE, ...


def _vouch_int(v: str) -> int:
    if _INT.fullmatch(v):
        return int(v)
    raise _GiveUp


def _vouch_float(v: str) -> float:
    if _FLOAT.fullmatch(v):
        return float(v)
    raise _GiveUp


def _vouch_null(v: str) -> None:
    if v == "" or v == "null":
        return None
    raise _GiveUp  # ~, Null, NULL


def _vouch_timestamp(v: str) -> Any:
    if _TIMESTAMP.fullmatch(v):
        try:  # 2026-02-30 gives up (the full path keeps it as text)
            if len(v) == 10:  # as SafeConstructor.construct_yaml_timestamp makes a date, at 1/15 of its cost
                return datetime.date(int(v[:4]), int(v[5:7]), int(v[8:10]))
            return SafeConstructor.construct_yaml_timestamp(_constructor, yaml.ScalarNode(_T + "timestamp", v))
        except Exception:
            pass
    raise _GiveUp


_VOUCH = {
    _T + "bool": _vouch_bool,
    _T + "int": _vouch_int,
    _T + "float": _vouch_float,
    _T + "null": _vouch_null,
    _T + "timestamp": _vouch_timestamp,
}  # merge (<<), value (=), yaml (! & *): give up


def _resolve(v: str, resolvers: list[tuple[str, re.Pattern[str]]]) -> Any:
    """A plain scalar's value as the full path constructs it, or _GiveUp; `resolvers`: PyYAML's
    implicit resolvers for its first character, tried in PyYAML's order."""
    for tag, regexp in resolvers:
        if regexp.match(v):
            vouch = _VOUCH.get(tag)
            if vouch is None:
                raise _GiveUp
            return vouch(v)
    return v


_Marks = dict[Path_, Any]  # path -> libyaml's mark (line and column from 0) of its key or value


def fast(fm: str) -> tuple[dict[str, Any], _Marks, _Marks] | None:
    """(data, key marks, value marks) as the full path would give them, or None to give up.

    Accepted: one implicit document whose root is a mapping; text keys, each once; no tag,
    anchor or alias; at most MAX_DEPTH levels; scalars as `_resolve` vouches for them; no NUL."""
    parser = _CParser(fm)
    keys: _Marks = {}
    values: _Marks = {}
    # An anchor needs '&', an alias '*', a tag '!': without them, no event can carry one.
    props = "&" in fm or "*" in fm or "!" in fm
    try:
        get = parser.get_event
        get()  # StreamStart
        ev = get()
        if type(ev) is not DocumentStartEvent or ev.explicit or ev.version or ev.tags:
            return None
        ev = get()
        if type(ev) is not MappingStartEvent or (props and (ev.anchor is not None or ev.tag is not None)):
            return None  # nothing, a list or a single value: the full path says what it found
        values[()] = ev.start_mark
        data = _fast_mapping(get, (), keys, values, 1, props)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            return None  # a second document: the full path reports it
    except Exception:  # _GiveUp, a YAML error, anything else: the full path reports it as it always has
        return None
    finally:
        parser.dispose()
    return data, keys, values


def _fast_value(get: Any, ev: Any, path: Path_, keys: _Marks, values: _Marks, depth: int, props: bool) -> Any:
    """One value or item at `depth` (the root mapping's values are at 1); `ev` is its first event."""
    t = type(ev)
    if props and (t is AliasEvent or ev.anchor is not None or ev.tag is not None):
        raise _GiveUp
    values[path] = ev.start_mark
    if t is ScalarEvent:
        v = ev.value
        if "\x00" in v:
            raise _GiveUp
        if ev.implicit[0]:  # plain: resolved as PyYAML does; quoted and block scalars are text
            resolvers = _RESOLVERS.get(v[:1])
            if resolvers:
                return _resolve(v, resolvers)
        return v
    if depth >= MAX_DEPTH:  # its items would be deeper than the full path takes
        raise _GiveUp
    if t is MappingStartEvent:
        return _fast_mapping(get, path, keys, values, depth + 1, props)
    if t is SequenceStartEvent:
        items: list[Any] = []
        while True:
            e = get()
            if type(e) is SequenceEndEvent:
                return items
            items.append(_fast_value(get, e, path + (len(items),), keys, values, depth + 1, props))
    raise _GiveUp  # an alias (props is then True), or an event libyaml never gives here


def _fast_mapping(get: Any, path: Path_, keys: _Marks, values: _Marks, depth: int, props: bool) -> dict[str, Any]:
    """The entries of a mapping whose start event was read; its values are at `depth`."""
    out: dict[str, Any] = {}
    while True:
        k = get()
        tk = type(k)
        if tk is not ScalarEvent:
            if tk is MappingEndEvent:
                return out
            raise _GiveUp  # a list, mapping or alias as a key
        if props and (k.anchor is not None or k.tag is not None):
            raise _GiveUp
        key = k.value
        if key in out or "\x00" in key:
            raise _GiveUp  # a duplicate key: the full path names both lines
        if k.implicit[0]:
            resolvers = _RESOLVERS.get(key[:1])
            if resolvers and _resolve(key, resolvers) is not key:
                raise _GiveUp  # 1984:, null:, true:, 2026-01-01: are not text keys; <<: merges
        sub = path + (key,)
        keys[sub] = k.start_mark
        out[key] = _fast_value(get, get(), sub, keys, values, depth, props)
