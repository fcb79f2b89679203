"""Write a signed `gate_evaluation` into a record file, touching no other byte (issue 7, SPEC §2).

Records are edited by hand in pull requests, so the pipeline must not reformat
them: comments, key order and quoting outside the `gate_evaluation:` block stay
byte for byte. The block is located with PyYAML's node marks (not by guessing
from indentation), replaced as a whole, and the result is re-parsed to prove
that every other key still loads to the same value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import yaml

KEY = "gate_evaluation"
_OPEN = re.compile(r"---[ \t]*(\r\n|\n)")
_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)  # as source.py: --- or ...
_HEX_ONLY = re.compile(r"[0-9a-fA-F]+")


class GateWriteError(ValueError):
    """The record cannot be edited safely in place; the message says why."""


# --------------------------------------------------------------------------- rendering


class _BlockDumper(yaml.SafeDumper):
    """SafeDumper that indents sequences under their key, as records are written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        return super().increase_indent(flow, False)


class _Hex(str):
    """A value (never a key) made only of hex digits: always written double-quoted."""


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # SPEC §2: the signature is a literal block (`signature: |`). Keep-chomped or
    # blank text would need `|+` and a document-end marker, so it is quoted instead;
    # PyYAML itself falls back to double quotes when a literal cannot hold the text.
    if "\n" in value and value.strip() and not value.endswith("\n\n"):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    return dumper.represent_str(value)


def _represent_hex(dumper: yaml.SafeDumper, value: _Hex) -> yaml.ScalarNode:
    # Hashes are always quoted, so `"0123…"` can never turn into a number.
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


def _mark_hex(value: Any) -> Any:
    """Wrap hex-only string values (not keys) so they are written quoted."""
    if isinstance(value, str):
        return _Hex(value) if _HEX_ONLY.fullmatch(value) else value
    if isinstance(value, Mapping):
        return {k: _mark_hex(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_mark_hex(v) for v in value]
    return value


def _represent_datetime(dumper: yaml.SafeDumper, value: datetime) -> yaml.ScalarNode:
    if value.tzinfo is None or value.utcoffset() is None:
        raise GateWriteError("evaluated must carry a time zone")  # SPEC §2
    if value.microsecond:
        raise GateWriteError("evaluated must be whole seconds (the signed form has no fraction)")
    text = value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dumper.represent_scalar("tag:yaml.org,2002:timestamp", text)


_BlockDumper.add_representer(str, _represent_str)
_BlockDumper.add_representer(_Hex, _represent_hex)
_BlockDumper.add_representer(datetime, _represent_datetime)
_BlockDumper.add_representer(tuple, yaml.SafeDumper.represent_list)


def render_block(evaluation: Mapping[str, Any], indent: int = 0, newline: str = "\n") -> str:
    """The `gate_evaluation:` block as YAML text, keys in the caller's order."""
    if not isinstance(evaluation, Mapping) or not evaluation:
        raise GateWriteError("the evaluation must be a non-empty mapping")
    try:
        text = yaml.dump(
            {KEY: _mark_hex(dict(evaluation))},
            Dumper=_BlockDumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1 << 30,
            indent=2,
        )
    except yaml.representer.RepresenterError as exc:
        raise GateWriteError(f"cannot write value {exc.args[1]!r} into a record") from None
    lines = text.split("\n")
    pad = " " * indent
    out = "\n".join(pad + ln if ln else ln for ln in lines)
    return out.replace("\n", newline)


# --------------------------------------------------------------------------- locating


def _split(text: str) -> tuple[str, str, int, int]:
    """(bom, newline, start, end) of the front matter between the `---` fences."""
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    m = _OPEN.match(text, len(bom))
    if not m:
        raise GateWriteError("the record does not start with a '---' line")
    close = _CLOSE.search(text, m.end())
    if not close:
        raise GateWriteError("the front matter has no closing '---' line")
    return bom, m.group(1), m.end(), close.start()


def _compose(front: str) -> yaml.MappingNode:
    """The front matter's root node; its marks locate the block to replace."""
    try:
        node = yaml.compose(front, Loader=yaml.SafeLoader)  # pure-Python: marks are str offsets
    except yaml.YAMLError as exc:
        raise GateWriteError(f"the front matter is not valid YAML: {exc}") from None
    if not isinstance(node, yaml.MappingNode):
        raise GateWriteError("the front matter is not a mapping")
    if node.flow_style:
        raise GateWriteError("the front matter is a {flow} mapping; write it as a block mapping")
    return node


def _line_start(text: str, index: int) -> int:
    """Offset of the start of the line holding `index` (edits work on whole lines)."""
    return text.rfind("\n", 0, index) + 1


def _block_span(front: str, root: yaml.MappingNode) -> tuple[int, int, int] | None:
    """(start, end, indent) of the existing top-level block, or None when there is none."""
    pairs = root.value
    hits = [i for i, (k, _) in enumerate(pairs) if isinstance(k, yaml.ScalarNode) and k.value == KEY]
    if len(hits) > 1:
        raise GateWriteError(f"'{KEY}' appears {len(hits)} times in the front matter")
    if not hits:
        return None
    i = hits[0]
    key = pairs[i][0]
    start = _line_start(front, key.start_mark.index)
    indent = key.start_mark.index - start
    if front[start : key.start_mark.index].strip(" "):
        raise GateWriteError(f"'{KEY}' does not start its own line")
    end = len(front)
    if i + 1 < len(pairs):
        nxt = pairs[i + 1][0].start_mark.index
        end = _line_start(front, nxt)
        if front[end:nxt].strip(" "):
            raise GateWriteError("the key after the gate evaluation does not start its own line")
    # Blank lines and comments at the mapping's own indentation after the value belong
    # to what follows (e.g. "# Corrections" above `corrections:`); keep them.
    first_line_end = front.index("\n", start) + 1 if "\n" in front[start:end] else end
    while end > first_line_end:
        prev = _line_start(front, end - 1)
        line = front[prev:end].rstrip("\r\n")
        stripped = line.lstrip(" \t")
        if stripped and not (stripped.startswith("#") and len(line) - len(stripped) <= indent):
            break
        end = prev
    return start, end, indent


def _mapping_indent(root: yaml.MappingNode) -> int:
    """Column of the top-level keys, so an appended block lines up with them."""
    return root.value[0][0].start_mark.column if root.value else 0


# --------------------------------------------------------------------------- public


def set_gate_evaluation(text: str, evaluation: Mapping[str, Any]) -> str:
    """Replace (or append) the record's `gate_evaluation` block; all other bytes are kept."""
    bom, newline, fm_start, fm_end = _split(text)
    front = text[fm_start:fm_end]
    root = _compose(front)
    span = _block_span(front, root)
    if span is None:
        start = end = len(front)
        indent = _mapping_indent(root)
    else:
        start, end, indent = span
    block = render_block(evaluation, indent=indent, newline=newline)
    new_front = front[:start] + block + front[end:]
    _check(front, new_front, evaluation)
    return text[:fm_start] + new_front + text[fm_end:]


def _loaded(front: str) -> dict[str, Any]:
    """The front matter as data, for the before/after comparison."""
    data = yaml.load(front, Loader=yaml.SafeLoader)
    return data if isinstance(data, dict) else {}


def _check(old_front: str, new_front: str, evaluation: Mapping[str, Any]) -> None:
    """Prove the edit changed only `gate_evaluation` and that it loads as intended."""
    before, after = _loaded(old_front), _loaded(new_front)
    written = after.pop(KEY, None)
    before.pop(KEY, None)
    if repr(before) != repr(after) or list(before) != list(after):
        raise GateWriteError("writing the evaluation would change other keys; edit the record by hand")
    expected = _loaded(render_block(evaluation))[KEY]
    if repr(written) != repr(expected):
        raise GateWriteError("the written evaluation does not load back as given")

