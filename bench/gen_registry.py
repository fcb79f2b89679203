#!/usr/bin/env python3
"""Generate a deterministic, manifest-valid synthetic srchgen registry.

Usage: python3 gen_registry.py N OUTDIR [--seed S]

Writes OUTDIR/pyproject.toml ([tool.srchgen] title) and
OUTDIR/records/<HEX>.md in the paper-manifest-v1.1 format (SPEC §2), plus
OUTDIR/records/<HEX>/ artifact folders for the records that carry artifacts.
Same N and seed -> byte-identical tree (random.Random(seed), fixed word
lists, hand-written YAML with a fixed layout, no clock).

Sizes follow the shared peer corpus (gen_corpus.py, same word lists):
research questions 90-197 characters, abstracts 400-900 characters, a third
of the records with a `## Limitations` section, 2-4 of 30 topics, score
0.00-10.00 (two decimals), 0-12 source-grounded claims, a unique Zenodo DOI
in about half. Beyond that corpus (so srchgen's own rules get exercised):
section, review method, report artifact/URL, `registered`, `related` links
to existing ids (mostly both directions), corrections (valid Crossref types,
oldest first, dated between `submitted` and 2026-11-01) and artifacts
(a small file in records/<HEX>/ and its sha256). `submitted` is a day from
2026-01-01 to 2026-10-31, never after the date this harness runs on.
Stdlib only.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import random
import sys
import textwrap

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_corpus import (  # noqa: E402  (same word lists as the shared corpus)
    ABSTRACT_SENTENCES,
    OBJECTS,
    OPENERS,
    QUALIFIERS,
    SETTINGS,
    SUBJECTS,
    TAGS,
    VERBS,
    make_limitations,
)

FIRST_DAY = datetime.date(2026, 1, 1)
LAST_SUBMITTED = datetime.date(2026, 10, 31)
LAST_CORRECTION = datetime.date(2026, 11, 1)
SECTIONS = [("research", 0.80), ("benchmarks", 0.15), ("mathematics", 0.05)]
METHODS = [
    "Automated multi-reviewer assessment",
    "Automated single-reviewer assessment",
    "Automated multi-reviewer assessment with calibration set",
]
# SPEC §2 update types; reinstatement only ever right after a retraction/withdrawal
CORRECTION_TYPES = [
    ("correction", 30), ("clarification", 25), ("addendum", 20), ("erratum", 10),
    ("corrigendum", 6), ("expression-of-concern", 4), ("partial-retraction", 2),
    ("retraction", 2), ("withdrawal", 1),
]
SUMMARIES = [
    "Fixed the reported {obj} figure for one benchmark.",
    "Clarified which {subj} configuration the main table uses.",
    "Added the missing seed-level results for the ablation.",
    "Corrected the number of evaluated tasks in the abstract.",
    "Noted an overlap between one evaluation set and the pretraining data.",
    "Updated the replication package link after a repository move.",
]


def make_question(rng: random.Random) -> tuple[str, str, str, str]:
    """A research question of 90-197 characters, plus the subject, object and setting it names."""
    while True:
        subj, obj, setting = rng.choice(SUBJECTS), rng.choice(OBJECTS), rng.choice(SETTINGS)
        q = "%s %s %s %s %s" % (rng.choice(OPENERS), subj, rng.choice(VERBS), obj, setting)
        if rng.random() < 0.7:
            q += ", " + rng.choice(QUALIFIERS)
        q += "?"
        if 90 <= len(q) <= 197:
            return q, subj, obj, setting


def make_title(rng: random.Random, subj: str, obj: str, setting: str) -> str:
    """An explicit short title (a minority of records; SPEC §2 makes it optional)."""
    t = "A controlled study of %s and %s %s" % (subj, obj, setting)
    if len(t) < 90:
        t += ", with matched compute budgets and seeds"
    return t[:197].rstrip()


def make_abstract(rng: random.Random, subj: str, obj: str, setting: str) -> str:
    """400-900 characters; the first sentence names the question's subject and object."""
    target = rng.randint(400, 900)
    parts = ["We study %s %s and measure its effect on %s." % (subj, setting, obj)]
    length = len(parts[0])
    pool = list(ABSTRACT_SENTENCES[1:])
    rng.shuffle(pool)
    i = 0
    while length < target:
        tmpl = pool[i % len(pool)]
        i += 1
        k = rng.randint(3, 12)
        s = tmpl.format(
            subj=subj, subj2=rng.choice(SUBJECTS), obj=obj, obj2=rng.choice(OBJECTS),
            setting=setting, k=k, eff="%.1f" % rng.uniform(0.2, 6.5), n_sig=rng.randint(0, k))
        s = s[0].upper() + s[1:]
        if length + 1 + len(s) > 900:
            break
        parts.append(s)
        length += 1 + len(s)
    text = " ".join(parts)
    while len(text) < 400:
        text += " " + ABSTRACT_SENTENCES[1]
    return text


def weighted(rng: random.Random, pairs: list[tuple[str, float]]) -> str:
    """Pick from (value, weight) pairs."""
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def make_corrections(rng: random.Random, submitted: datetime.date) -> list[dict]:
    """1-3 entries, oldest first, dated between submitted and 2026-11-01 (SPEC §2)."""
    span = (LAST_CORRECTION - submitted).days
    count = rng.randint(1, 3)
    dates = sorted(submitted + datetime.timedelta(days=rng.randint(0, span)) for _ in range(count))
    out = []
    for d in dates:
        typ = weighted(rng, CORRECTION_TYPES)
        summary = rng.choice(SUMMARIES).format(obj=rng.choice(OBJECTS), subj=rng.choice(SUBJECTS))
        out.append({"date": d, "type": typ, "summary": summary})
    last = out[-1]
    if last["type"] in ("retraction", "withdrawal") and rng.random() < 0.3:
        out.append({"date": last["date"], "type": "reinstatement",
                    "summary": "Reinstated after the replication package was re-checked."})
    return out


def make_artifacts(rng: random.Random, hexid: str) -> list[tuple[str, str, bytes]]:
    """(kind, path relative to records/, content): a proof, a script+results, or a script alone."""
    pick = rng.random()
    proof = ("-- Synthetic Gate 2 artifact for SRCH:%s\ntheorem t_%s : 1 + 1 = 2 := rfl\n"
             % (hexid, hexid.lower())).encode()
    script = ("#!/usr/bin/env python3\n# Synthetic reproduction script for SRCH:%s\n"
              "print(%d)\n" % (hexid, rng.randint(0, 10 ** 6))).encode()
    results = (json.dumps({"id": "SRCH:" + hexid, "metric": round(rng.random(), 4)},
                          sort_keys=True) + "\n").encode()
    if pick < 0.5:
        return [("lean4-proof", hexid + "/Proof.lean", proof)]
    if pick < 0.85:
        return [("repro-script", hexid + "/repro.py", script),
                ("repro-results", hexid + "/results.json", results)]
    return [("repro-script", hexid + "/repro.py", script)]


def q(s: str) -> str:
    """A YAML double-quoted scalar (the text is ASCII, so JSON quoting is valid YAML)."""
    return json.dumps(s)


def render(rec: dict) -> str:
    """The record file: fixed key order and layout, as an author would write it (SPEC §2)."""
    lines = ["---", "manifest: paper-manifest-v1.1", "id: SRCH:" + rec["hex"],
             "research_question: >-"]
    lines += ["  " + ln for ln in textwrap.wrap(rec["question"], 76)]
    if rec.get("title"):
        lines.append("title: " + q(rec["title"]))
    lines.append("submitted: " + rec["submitted"].isoformat())
    lines.append("section: " + rec["section"])
    lines.append("topics: [%s]" % ", ".join(rec["topics"]))
    lines += ["review:", "  score: %.2f" % rec["score"], "  method: " + rec["method"]]
    lines += ["claims:", "  source_grounded: %d" % rec["claims"]]
    if rec["record_source"] is not None:
        lines.append("  record_source: " + rec["record_source"])
    lines.append("publisher: Assignee Research")
    lines.append("report_artifact: " + ("true" if rec["report_artifact"] else "false"))
    if rec.get("report_url"):
        lines.append("report_url: " + rec["report_url"])
    if rec.get("doi"):
        lines.append("doi: " + rec["doi"])
    if rec.get("registered"):
        lines.append("registered: true")
    if rec["related"]:
        lines.append("related:")
        lines += ["  - SRCH:" + h for h in sorted(rec["related"])]
    if rec["artifacts"]:
        lines.append("artifacts:")
        for kind, path, content in rec["artifacts"]:
            lines += ["  - kind: " + kind, "    path: " + path,
                      '    sha256: "%s"' % hashlib.sha256(content).hexdigest()]
    if rec["corrections"]:
        lines.append("corrections:")
        for c in rec["corrections"]:
            lines += ["  - date: " + c["date"].isoformat(), "    type: " + c["type"],
                      "    summary: " + q(c["summary"])]
    lines += ["---", "", rec["body"], ""]
    return "\n".join(lines)


def generate(n: int, seed: int) -> list[dict]:
    """All records, in generation order; pure (no disk, no clock)."""
    rng = random.Random(seed)
    ids: list[str] = []
    seen: set[str] = set()
    while len(ids) < n:
        h = "%08X" % rng.getrandbits(32)
        if h not in seen:
            seen.add(h)
            ids.append(h)
    questions: set[str] = set()
    dois: set[str] = set()
    recs = []
    for hexid in ids:
        while True:  # unique questions: a repeated one is a SPEC §2 warning
            question, subj, obj, setting = make_question(rng)
            if question not in questions:
                questions.add(question)
                break
        submitted = FIRST_DAY + datetime.timedelta(days=rng.randint(0, (LAST_SUBMITTED - FIRST_DAY).days))
        claims = rng.randint(0, 12)
        rec = {
            "hex": hexid, "question": question, "submitted": submitted,
            "title": make_title(rng, subj, obj, setting) if rng.random() < 0.1 else None,
            "section": weighted(rng, SECTIONS),
            "topics": sorted(rng.sample(TAGS, rng.randint(2, 4))),
            "score": rng.randint(0, 1000) / 100.0,
            "method": rng.choice(METHODS),
            "claims": claims,
            "record_source": ("https://example.org/claims/%s.json" % hexid)
            if claims and rng.random() < 0.3 else None,
            "report_artifact": rng.random() < 0.7,
        }
        if rec["report_artifact"] and rng.random() < 0.5:
            rec["report_url"] = "https://example.org/reports/%s.pdf" % hexid
        if rng.random() < 0.5:
            while True:
                doi = "10.5281/zenodo.%08d" % rng.randint(10000000, 99999999)
                if doi not in dois:
                    dois.add(doi)
                    break
            rec["doi"] = doi
            rec["registered"] = rng.random() < 0.5
        else:
            rec["registered"] = rng.random() < 0.05
        rec["artifacts"] = make_artifacts(rng, hexid) if rng.random() < 0.05 else []
        rec["corrections"] = make_corrections(rng, submitted) if rng.random() < 0.05 else []
        body = make_abstract(rng, subj, obj, setting)
        if rng.random() < 1.0 / 3.0:
            body += "\n\n" + make_limitations(rng)
        rec["body"] = body
        rec["related"] = set()
        recs.append(rec)
    # related links (SPEC §2: existing ids, not itself, no duplicates); mostly both ways
    for i, rec in enumerate(recs):
        if n < 2 or rng.random() >= 0.2:
            continue
        for _ in range(rng.randint(1, 3)):
            j = rng.randrange(n - 1)
            j += j >= i
            rec["related"].add(recs[j]["hex"])
            if rng.random() < 0.85:
                recs[j]["related"].add(rec["hex"])
    return recs


PYPROJECT = """\
# Synthetic registry generated by bench/gen_registry.py (N={n}, seed={seed}).
[tool.srchgen]
title = "Synthetic Registry ({n} records)"
"""


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: write the registry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int)
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args(argv)
    recdir = os.path.join(a.outdir, "records")
    os.makedirs(recdir, exist_ok=True)
    with open(os.path.join(a.outdir, "pyproject.toml"), "w", encoding="utf-8", newline="\n") as f:
        f.write(PYPROJECT.format(n=a.n, seed=a.seed))
    for rec in generate(a.n, a.seed):
        for _kind, path, content in rec["artifacts"]:
            full = os.path.join(recdir, *path.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as f:
                f.write(content)
        with open(os.path.join(recdir, rec["hex"] + ".md"), "w", encoding="utf-8", newline="\n") as f:
            f.write(render(rec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
