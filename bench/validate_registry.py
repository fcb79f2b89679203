#!/usr/bin/env python3
"""Standalone check that a registry is manifest-valid (independent of srchgen's own validator).

Usage: python3 validate_registry.py ROOT [--today YYYY-MM-DD]

Checks the SPEC §2 rules that need no signatures or git history: file
shape (UTF-8, <= 1 MiB, fences, mapping front matter, non-empty abstract),
no duplicate keys / anchors / aliases / custom tags, required and unknown
keys, YAML-1.1 type surprises (text that parsed as another type, booleans
as counts), id format / file stem / uniqueness, dates not in the future,
section, topics, score range and decimals, https URLs, DOI pattern and
uniqueness, `registered: false` beside a DOI, `related`, artifacts (path
inside records/<HEX>/, regular file, sha256), corrections (types, order,
dates, summary, reinstatement), plus the `[tool.srchgen]` table. Prints
every problem as `path:line:col: message` (line/col of the key, 1:1 when
unknown), the warnings it knows (one-way related, repeated question,
title over 200), then a summary line; exit 1 when any error.
Bench tool, so stdlib + PyYAML only.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import math
import os
import re
import sys
import tomllib

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - libyaml missing
    Loader = yaml.SafeLoader

HEX_RE = re.compile(r"^[0-9A-F]{8}$")
ID_RE = re.compile(r"^SRCH:([0-9A-F]{8})$")
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DOI_RE = re.compile(r"^10\.\d{4,9}/\S+$")
HTTPS_RE = re.compile(r"^https://[^/\s:]+(:\d+)?(/\S*)?$")
SHA_RE = re.compile(r"^[0-9a-f]{64}$")
TOP_KEYS = {"manifest", "id", "research_question", "title", "submitted", "section", "topics",
            "review", "claims", "publisher", "report_artifact", "report_url", "doi",
            "registered", "related", "artifacts", "gate_evaluation", "corrections", "note"}
REQUIRED = ["manifest", "id", "research_question", "submitted", "section", "review",
            "claims", "publisher", "report_artifact"]
SECTIONS = {"research", "benchmarks", "mathematics"}
KINDS = {"lean4-proof", "repro-script", "repro-results"}
TYPES = {"addendum", "clarification", "correction", "corrigendum", "erratum",
         "expression-of-concern", "partial-retraction", "retraction", "withdrawal",
         "reinstatement"}
CONFIG_KEYS = {"title", "base_url", "page_size", "title_cut", "provenance_note",
               "doi_grade_min_score", "doi_grade_min_claims", "quarantine_below_score",
               "gate_activated", "gate_initial_evaluation", "gate_signers"}
STD_TAGS = {"tag:yaml.org,2002:" + t for t in
            ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")}


class Problems:
    """Collects errors and warnings as `path:line:col: message` strings."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def err(self, path: str, pos: tuple[int, int], msg: str) -> None:
        self.errors.append("%s:%d:%d: %s" % (path, pos[0], pos[1], msg))

    def warn(self, path: str, pos: tuple[int, int], msg: str) -> None:
        self.warnings.append("%s:%d:%d: warning: %s" % (path, pos[0], pos[1], msg))


def split(text: str) -> tuple[str, str, int] | None:
    """(front matter, body, line offset of the front matter) or None without fences."""
    text = text.replace("\r\n", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.startswith("---\n"):
        return None
    end = text.find("\n---\n", 3)
    if end < 0:
        if text.endswith("\n---"):
            end = len(text) - 4
        else:
            return None
    return text[4:end + 1], text[end + 5:], 1


def node_problems(node: yaml.Node, path: str, off: int, probs: Problems) -> None:
    """Duplicate keys and custom tags anywhere in the composed tree (SPEC §2)."""
    if node.tag not in STD_TAGS:
        probs.err(path, (node.start_mark.line + off + 1, node.start_mark.column + 1),
                  "custom tag %s is not allowed" % node.tag)
    if isinstance(node, yaml.MappingNode):
        seen: set = set()
        for k, v in node.value:
            if k.value in seen:
                probs.err(path, (k.start_mark.line + off + 1, k.start_mark.column + 1),
                          "duplicate key %r" % k.value)
            seen.add(k.value)
            node_problems(v, path, off, probs)
    elif isinstance(node, yaml.SequenceNode):
        for v in node.value:
            node_problems(v, path, off, probs)


def positions(node: yaml.Node, off: int, prefix: tuple = ()) -> dict[tuple, tuple[int, int]]:
    """Key path -> (line, col) in the file, for error messages."""
    out: dict[tuple, tuple[int, int]] = {}
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            p = prefix + (k.value,)
            out[p] = (k.start_mark.line + off + 1, k.start_mark.column + 1)
            out.update(positions(v, off, p))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            p = prefix + (i,)
            out[p] = (v.start_mark.line + off + 1, v.start_mark.column + 1)
            out.update(positions(v, off, p))
    return out


def as_date(v: object) -> datetime.date | None:
    """A calendar date from a YAML date or a quoted YYYY-MM-DD."""
    if isinstance(v, datetime.datetime):
        return None
    if isinstance(v, datetime.date):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        try:
            return datetime.date.fromisoformat(v)
        except ValueError:
            return None
    return None


def is_int(v: object) -> bool:
    """An integer that is not a boolean (SPEC §2: a boolean is never a count)."""
    return isinstance(v, int) and not isinstance(v, bool)


def check_record(path: str, rel: str, records_dir: str, today: datetime.date,
                 probs: Problems) -> dict | None:
    """Validate one record file; returns its facts for the cross-record rules."""
    if os.path.islink(path):
        probs.err(rel, (1, 1), "record file is a symlink")
        return None
    if os.path.getsize(path) > 1024 * 1024:
        probs.err(rel, (1, 1), "file larger than 1 MiB")
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except UnicodeDecodeError:
        probs.err(rel, (1, 1), "not UTF-8")
        return None
    parts = split(text)
    if parts is None:
        probs.err(rel, (1, 1), "missing --- fences around the front matter")
        return None
    fm_text, body, off = parts
    try:
        events = list(yaml.parse(fm_text, Loader=Loader))
        node = yaml.compose(fm_text, Loader=Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        probs.err(rel, (mark.line + off + 1, mark.column + 1) if mark else (1, 1), "YAML: %s" % e)
        return None
    for ev in events:
        if isinstance(ev, yaml.AliasEvent) or getattr(ev, "anchor", None):
            probs.err(rel, (ev.start_mark.line + off + 1, ev.start_mark.column + 1),
                      "YAML anchors and aliases are not allowed")
            return None
    if not isinstance(node, yaml.MappingNode):
        probs.err(rel, (1, 1), "front matter is not a mapping")
        return None
    node_problems(node, rel, off, probs)
    pos = positions(node, off)
    fm = yaml.load(fm_text, Loader=Loader)

    def at(*key: object) -> tuple[int, int]:
        for i in range(len(key), 0, -1):
            if key[:i] in pos:
                return pos[key[:i]]
        return (1, 1)

    def bad(key: tuple, msg: str) -> None:
        probs.err(rel, at(*key), msg)

    for k in fm:
        if k not in TOP_KEYS:
            bad((k,), "unknown key %r" % k)
    for k in REQUIRED:
        if k not in fm:
            probs.err(rel, (1, 1), "missing required key %r" % k)
    stem = os.path.basename(path)[:-3]
    if fm.get("manifest") != "paper-manifest-v1.1":
        bad(("manifest",), "manifest must be paper-manifest-v1.1")
    rid = fm.get("id")
    m = ID_RE.match(rid) if isinstance(rid, str) else None
    if not m:
        bad(("id",), "id must be SRCH: + 8 uppercase hex digits")
    elif m.group(1) != stem:
        bad(("id",), "id %s does not match the file name %s" % (rid, stem))
    for k in ("research_question", "title", "publisher", "note"):
        if k in fm and not (isinstance(fm[k], str) and fm[k].strip()):
            bad((k,), "%s must be non-empty text (quote it)" % k)
    rq = fm.get("research_question")
    if isinstance(fm.get("title"), str) and len(fm["title"]) > 200:
        probs.warn(rel, at("title"), "title over 200 characters")
    sub = as_date(fm.get("submitted"))
    if sub is None:
        bad(("submitted",), "submitted must be a date YYYY-MM-DD")
    elif sub > today:
        bad(("submitted",), "submitted %s is in the future" % sub)
    if fm.get("section") not in SECTIONS:
        bad(("section",), "section must be one of %s" % sorted(SECTIONS))
    topics = fm.get("topics", [])
    if not isinstance(topics, list):
        bad(("topics",), "topics must be a list")
    else:
        for i, t in enumerate(topics):
            if not (isinstance(t, str) and SLUG_RE.match(t)):
                bad(("topics", i), "topic must be a lowercase slug")
        if len(set(map(str, topics))) != len(topics):
            bad(("topics",), "duplicate topics")
    review = fm.get("review")
    if not isinstance(review, dict):
        bad(("review",), "review must be a mapping")
    else:
        for k in review:
            if k not in ("score", "method"):
                bad(("review", k), "unknown key review.%s" % k)
        s = review.get("score")
        if isinstance(s, bool) or not isinstance(s, (int, float)) or \
                (isinstance(s, float) and not math.isfinite(s)):
            bad(("review", "score"), "score must be a number 0..10")
        elif not (0 <= s <= 10) or abs(round(s * 100) - s * 100) > 1e-6:
            bad(("review", "score"), "score must be 0..10 with at most two decimals")
        if "method" in review and not isinstance(review["method"], str):
            bad(("review", "method"), "method must be text")
    claims = fm.get("claims")
    if not isinstance(claims, dict):
        bad(("claims",), "claims must be a mapping")
    else:
        for k in claims:
            if k not in ("source_grounded", "record_source"):
                bad(("claims", k), "unknown key claims.%s" % k)
        sg = claims.get("source_grounded")
        if not (is_int(sg) and sg >= 0):
            bad(("claims", "source_grounded"), "source_grounded must be an integer >= 0")
        rs = claims.get("record_source")
        if rs is not None and not (isinstance(rs, str) and HTTPS_RE.match(rs)):
            bad(("claims", "record_source"), "record_source must be an https URL")
    if not isinstance(fm.get("report_artifact"), bool):
        bad(("report_artifact",), "report_artifact must be true or false")
    ru = fm.get("report_url")
    if ru is not None and not (isinstance(ru, str) and HTTPS_RE.match(ru)):
        bad(("report_url",), "report_url must be an https URL")
    doi = fm.get("doi")
    if doi is not None:
        if not isinstance(doi, str) or not DOI_RE.match(doi):
            bad(("doi",), "doi must match 10.NNNN/...")
        if fm.get("registered") is False:
            bad(("registered",), "registered: false beside a DOI")
    if "registered" in fm and not isinstance(fm["registered"], bool):
        bad(("registered",), "registered must be true or false")
    related = fm.get("related", [])
    if not isinstance(related, list):
        bad(("related",), "related must be a list")
        related = []
    if len(set(map(str, related))) != len(related):
        bad(("related",), "duplicate related ids")
    if rid in related:
        bad(("related",), "a record cannot be related to itself")
    hashes = []
    for i, a in enumerate(fm.get("artifacts", []) or []):
        if not isinstance(a, dict) or set(a) - {"kind", "path", "sha256"}:
            bad(("artifacts", i), "artifact must have kind, path, sha256 only")
            continue
        if a.get("kind") not in KINDS:
            bad(("artifacts", i, "kind"), "kind must be one of %s" % sorted(KINDS))
        p = a.get("path")
        parts_ = p.split("/") if isinstance(p, str) else []
        if (not isinstance(p, str) or p.startswith("/") or ".." in parts_ or len(parts_) < 2
                or parts_[0] != stem):
            bad(("artifacts", i, "path"), "path must be inside records/%s/" % stem)
            continue
        full = os.path.join(records_dir, *parts_)
        if os.path.islink(full) or not os.path.isfile(full):
            bad(("artifacts", i, "path"), "artifact is not an existing regular file")
            continue
        sha = a.get("sha256")
        with open(full, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        if not (isinstance(sha, str) and SHA_RE.match(sha)) or sha != actual:
            bad(("artifacts", i, "sha256"), "sha256 does not match the file")
        hashes.append(actual)
    in_force: set[str] = set()
    last = None
    for i, c in enumerate(fm.get("corrections", []) or []):
        if not isinstance(c, dict) or set(c) != {"date", "type", "summary"}:
            bad(("corrections", i), "correction needs exactly date, type, summary")
            continue
        d = as_date(c["date"])
        if d is None:
            bad(("corrections", i, "date"), "date must be YYYY-MM-DD")
        else:
            if sub and d < sub:
                bad(("corrections", i, "date"), "correction dated before submitted")
            if d > today:
                bad(("corrections", i, "date"), "correction date in the future")
            if last and d < last:
                bad(("corrections", i, "date"), "corrections not oldest first")
            last = d
        t = c["type"]
        if t not in TYPES:
            bad(("corrections", i, "type"), "unknown correction type %r" % t)
        elif t == "reinstatement":
            if not in_force & {"retraction", "withdrawal"}:
                bad(("corrections", i, "type"), "reinstatement without a retraction/withdrawal in force")
            in_force -= {"retraction", "withdrawal"}
        else:
            in_force.add(t)
        if not (isinstance(c["summary"], str) and c["summary"].strip()):
            bad(("corrections", i, "summary"), "summary must be non-empty text")
    if "gate_evaluation" in fm:
        probs.warn(rel, at("gate_evaluation"), "gate_evaluation not checked by this tool")
    abstract = re.split(r"(?m)^#", body, maxsplit=1)[0]
    if not abstract.strip():
        probs.err(rel, (1, 1), "empty abstract")
    return {"rel": rel, "id": rid, "doi": doi, "related": related, "rq": rq, "at": at}


def check_config(root: str, probs: Problems) -> None:
    """The [tool.srchgen] table: known keys only (SPEC §3)."""
    pp = os.path.join(root, "pyproject.toml")
    if not os.path.isfile(pp):
        return
    with open(pp, "rb") as f:
        cfg = tomllib.load(f).get("tool", {}).get("srchgen", {})
    for k in cfg:
        if k not in CONFIG_KEYS:
            probs.err("pyproject.toml", (1, 1), "unknown [tool.srchgen] key %r" % k)


def validate(root: str, today: datetime.date) -> Problems:
    """Every rule above over ROOT/records; pure apart from reading files."""
    probs = Problems()
    check_config(root, probs)
    records_dir = os.path.join(root, "records")
    facts = []
    for name in sorted(os.listdir(records_dir)):
        if name.endswith(".md"):
            rel = "records/" + name
            f = check_record(os.path.join(records_dir, name), rel, records_dir, today, probs)
            if f:
                facts.append(f)
    ids: dict[str, str] = {}
    dois: dict[str, str] = {}
    questions: dict[str, str] = {}
    for f in facts:
        if isinstance(f["id"], str):
            if f["id"] in ids:
                probs.err(f["rel"], f["at"]("id"), "duplicate id, also in %s" % ids[f["id"]])
            ids.setdefault(f["id"], f["rel"])
        if isinstance(f["doi"], str):
            k = f["doi"].lower()
            if k in dois:
                probs.err(f["rel"], f["at"]("doi"), "DOI already used by %s" % dois[k])
            dois.setdefault(k, f["rel"])
        if isinstance(f["rq"], str):
            k = " ".join(f["rq"].split()).lower()
            if k in questions:
                probs.warn(f["rel"], f["at"]("research_question"),
                           "same research question as %s" % questions[k])
            questions.setdefault(k, f["rel"])
    links = {f["id"]: set(map(str, f["related"])) for f in facts}
    for f in facts:
        for i, r in enumerate(f["related"]):
            if r not in ids:
                probs.err(f["rel"], f["at"]("related", i), "related id %s does not exist" % r)
            elif f["id"] not in links.get(r, set()):
                probs.warn(f["rel"], f["at"]("related", i), "one-way related link to %s" % r)
    return probs


def main(argv: list[str] | None = None) -> int:
    """CLI: print problems and a summary; exit 1 on errors."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root")
    ap.add_argument("--today", default=None, help="reference date (default: today in UTC)")
    ap.add_argument("--quiet-warnings", action="store_true")
    a = ap.parse_args(argv)
    today = (datetime.date.fromisoformat(a.today) if a.today
             else datetime.datetime.now(datetime.timezone.utc).date())
    probs = validate(a.root, today)
    for e in probs.errors:
        print(e)
    if not a.quiet_warnings:
        for w in probs.warnings:
            print(w)
    n = len([x for x in os.listdir(os.path.join(a.root, "records")) if x.endswith(".md")])
    print("%d records: %d errors, %d warnings" % (n, len(probs.errors), len(probs.warnings)))
    return 1 if probs.errors else 0


if __name__ == "__main__":
    sys.exit(main())
