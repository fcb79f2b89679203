#!/usr/bin/env python3
"""Derive the peers' corpus from a manifest-valid registry, so every peer builds the same records.

Usage: python3 to_corpus.py REGISTRY_DIR CORPUS_DIR

The peer adapters (hugo/, jekyll/, mkdocs/, pelican/) read the shared corpus
format of gen_corpus.py: one `<slug>.md` per record with `id`, `slug`,
`title`, `submitted`, `score`, `claims`, `doi` (when present), `publisher`,
`tags`, then the Markdown body. Mapping from paper-manifest-v1.1:
  id        <- id                       slug <- "srch-" + lowercase hex
  title     <- title, else research_question (srchgen's default, SPEC §2)
  submitted <- submitted (ISO string)   score <- review.score (2 decimals)
  claims    <- claims.source_grounded   doi   <- doi
  publisher <- publisher                tags  <- topics
  body      <- the record's Markdown, byte for byte (abstract + ## sections)
Fields only srchgen uses (section, corrections, related, artifacts, ...)
have no place in the peers' pages; the peers build less than srchgen.
Stdlib + PyYAML.
"""
from __future__ import annotations

import os
import sys

import yaml

try:
    Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    Loader = yaml.SafeLoader


def read_record(path: str) -> tuple[dict, str]:
    """(front matter, body) of a registry record."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    end = text.index("\n---\n", 3)
    fm = yaml.load(text[4:end + 1], Loader=Loader)
    return fm, text[end + 5:].lstrip("\n")


def corpus_front_matter(fm: dict) -> dict:
    """The corpus fields for one manifest (key order as gen_corpus.py writes them)."""
    hexid = fm["id"].split(":", 1)[1]
    out = {
        "id": fm["id"],
        "slug": "srch-" + hexid.lower(),
        "title": " ".join((fm.get("title") or fm["research_question"]).split()),
        "submitted": str(fm["submitted"]),
        "score": float(fm["review"]["score"]),
        "claims": int(fm["claims"]["source_grounded"]),
    }
    if fm.get("doi"):
        out["doi"] = fm["doi"]
    out["publisher"] = fm["publisher"]
    out["tags"] = list(fm.get("topics") or [])
    return out


def convert(registry: str, corpus: str) -> int:
    """Write one corpus file per record; returns the number written."""
    os.makedirs(corpus, exist_ok=True)
    recdir = os.path.join(registry, "records")
    n = 0
    for name in sorted(os.listdir(recdir)):
        if not name.endswith(".md"):
            continue
        fm, body = read_record(os.path.join(recdir, name))
        c = corpus_front_matter(fm)
        y = yaml.safe_dump(c, sort_keys=False, allow_unicode=True, width=1000,
                           default_flow_style=False)
        y = y.replace("score: %r\n" % c["score"], "score: %.2f\n" % c["score"], 1)
        with open(os.path.join(corpus, c["slug"] + ".md"), "w", encoding="utf-8",
                  newline="\n") as f:
            f.write("---\n" + y + "---\n\n" + body)
        n += 1
    return n


if __name__ == "__main__":
    print("corpus: %d records" % convert(sys.argv[1], sys.argv[2]))
