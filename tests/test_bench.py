"""Tests for the benchmark harness (bench/): the registry generator must produce what SPEC §2 accepts."""
from __future__ import annotations

import datetime
import gzip
import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
sys.path.insert(0, str(BENCH))

import bench_table  # noqa: E402
import check_output  # noqa: E402
import edit_record  # noqa: E402
import gen_registry  # noqa: E402
import to_corpus  # noqa: E402
import validate_registry  # noqa: E402

TODAY = datetime.date(2026, 11, 22)


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated registry of 300 records (module-scoped: written once)."""
    root = tmp_path_factory.mktemp("reg") / "r"
    assert gen_registry.main(["300", str(root), "--seed", "7"]) == 0
    return root


def write_tree(root: Path) -> dict[str, bytes]:
    """Every file under root, by relative path."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path, registry: Path) -> None:
    gen_registry.main(["300", str(tmp_path / "a"), "--seed", "7"])
    gen_registry.main(["300", str(tmp_path / "b"), "--seed", "8"])
    assert write_tree(tmp_path / "a") == write_tree(registry)
    assert write_tree(tmp_path / "b") != write_tree(registry)


def test_generated_registry_is_manifest_valid(registry: Path) -> None:
    probs = validate_registry.validate(str(registry), TODAY)
    assert probs.errors == []
    # the only warnings by design: some related links are one-way (SPEC §2 warning)
    assert all("one-way related" in w for w in probs.warnings)


def test_generated_registry_has_realistic_shape(registry: Path) -> None:
    import yaml
    recs = sorted((registry / "records").glob("*.md"))
    assert len(recs) == 300
    fms, bodies = [], []
    for p in recs:
        fm, body = to_corpus.read_record(str(p))
        fms.append(fm)
        bodies.append(body)
    qs = [fm["research_question"] for fm in fms]
    assert all(90 <= len(q) <= 197 for q in qs) and len(set(qs)) == len(qs)
    abstracts = [b.split("\n\n## ")[0].strip() for b in bodies]
    assert all(400 <= len(a) <= 900 for a in abstracts)
    lim = sum("\n## Limitations\n" in b for b in bodies) / len(bodies)
    assert 0.25 <= lim <= 0.42
    dois = [fm["doi"] for fm in fms if "doi" in fm]
    assert 0.4 <= len(dois) / len(fms) <= 0.6 and len(set(dois)) == len(dois)
    assert all(re.fullmatch(r"10\.5281/zenodo\.\d{8}", d) for d in dois)
    assert all(datetime.date(2026, 1, 1) <= fm["submitted"] <= datetime.date(2026, 10, 31) for fm in fms)
    assert all(2 <= len(fm["topics"]) <= 4 for fm in fms)
    assert all(0 <= fm["claims"]["source_grounded"] <= 12 for fm in fms)
    assert any(fm.get("related") for fm in fms)
    assert any(fm.get("corrections") for fm in fms)
    arts = [a for fm in fms for a in fm.get("artifacts", [])]
    assert arts
    for a in arts:
        data = (registry / "records" / a["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == a["sha256"]
    for fm in fms:
        for c in fm.get("corrections", []):
            assert fm["submitted"] <= c["date"] <= datetime.date(2026, 11, 1)
    # scores are written with exactly two decimals
    text = (recs[0]).read_text()
    assert re.search(r"^  score: \d+\.\d\d$", text, re.M)
    assert yaml is not None


BASE = """---
manifest: paper-manifest-v1.1
id: SRCH:0000000A
research_question: >-
  Does the thing work?
submitted: 2026-05-28
section: research
topics: [a-b, c]
review:
  score: 7.83
  method: Automated
claims:
  source_grounded: 6
publisher: Assignee Research
report_artifact: true
---

The abstract.
"""

MUTATIONS = [
    # (description, old, new, expected message fragment)
    ("typo key", "review:", "reveiw:", "unknown key 'reveiw'"),
    ("score over 10", "score: 7.83", "score: 10.5", "0..10"),
    ("three decimals", "score: 7.83", "score: 7.835", "two decimals"),
    ("trailing zero is fine", "score: 7.83", "score: 7.830", None),
    ("boolean count", "source_grounded: 6", "source_grounded: true", "integer >= 0"),
    ("negative count", "source_grounded: 6", "source_grounded: -1", "integer >= 0"),
    ("doi prefix", "report_artifact: true", "report_artifact: true\ndoi: https://doi.org/10.5281/x", "10.NNNN"),
    ("registered false beside doi", "report_artifact: true",
     "report_artifact: true\ndoi: 10.5281/zenodo.1\nregistered: false", "registered: false"),
    ("future date", "submitted: 2026-05-28", "submitted: 2026-11-23", "future"),
    ("today is fine", "submitted: 2026-05-28", "submitted: 2026-11-22", None),
    ("id vs stem", "id: SRCH:0000000A", "id: SRCH:0000000B", "does not match"),
    ("lowercase id", "id: SRCH:0000000A", "id: SRCH:0000000a", "uppercase hex"),
    ("duplicate key", "section: research", "section: research\nsection: research", "duplicate key"),
    ("anchor", "publisher: Assignee Research", "publisher: &p Assignee Research", "anchors"),
    ("yaml 1.1 no", "publisher: Assignee Research", "publisher: no", "quote it"),
    ("missing related", "report_artifact: true", "report_artifact: true\nrelated:\n  - SRCH:FFFFFFFF",
     "does not exist"),
    ("self related", "report_artifact: true", "report_artifact: true\nrelated:\n  - SRCH:0000000A", "itself"),
    ("bad correction type", "report_artifact: true",
     "report_artifact: true\ncorrections:\n  - date: 2026-06-01\n    type: fix\n    summary: x", "unknown correction type"),
    ("corrections out of order", "report_artifact: true",
     "report_artifact: true\ncorrections:\n  - date: 2026-06-02\n    type: erratum\n    summary: x\n"
     "  - date: 2026-06-01\n    type: erratum\n    summary: y", "oldest first"),
    ("correction before submitted", "report_artifact: true",
     "report_artifact: true\ncorrections:\n  - date: 2026-05-27\n    type: erratum\n    summary: x", "before submitted"),
    ("lonely reinstatement", "report_artifact: true",
     "report_artifact: true\ncorrections:\n  - date: 2026-06-01\n    type: reinstatement\n    summary: x", "reinstatement"),
    ("bad topic", "topics: [a-b, c]", "topics: [A_b]", "lowercase slug"),
    ("bad section", "section: research", "section: essays", "section must be"),
    ("empty abstract", "\nThe abstract.\n", "\n## Limitations\n\n- x\n", "empty abstract"),
    ("http url", "report_artifact: true", "report_artifact: true\nreport_url: http://x.org/r", "https URL"),
]


@pytest.mark.parametrize("desc,old,new,expected", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_validator_rejects_each_rule(tmp_path: Path, desc: str, old: str, new: str, expected: str | None) -> None:
    (tmp_path / "records").mkdir()
    assert old in BASE
    (tmp_path / "records" / "0000000A.md").write_text(BASE.replace(old, new, 1))
    errors = validate_registry.validate(str(tmp_path), TODAY).errors
    if expected is None:
        assert errors == []
    else:
        assert any(expected in e for e in errors), errors
        assert all(e.startswith("records/0000000A.md:") for e in errors)


def test_validator_checks_artifact_hash(tmp_path: Path) -> None:
    rec = tmp_path / "records"
    (rec / "0000000A").mkdir(parents=True)
    (rec / "0000000A" / "Proof.lean").write_bytes(b"theorem x : True := trivial\n")
    good = hashlib.sha256(b"theorem x : True := trivial\n").hexdigest()
    art = "report_artifact: true\nartifacts:\n  - kind: lean4-proof\n    path: 0000000A/Proof.lean\n    sha256: \"%s\""
    (rec / "0000000A.md").write_text(BASE.replace("report_artifact: true", art % good))
    assert validate_registry.validate(str(tmp_path), TODAY).errors == []
    (rec / "0000000A.md").write_text(BASE.replace("report_artifact: true", art % ("0" * 64)))
    errs = validate_registry.validate(str(tmp_path), TODAY).errors
    assert len(errs) == 1 and "sha256" in errs[0] and ":19:" in errs[0]


def test_corpus_carries_the_same_records(tmp_path: Path, registry: Path) -> None:
    n = to_corpus.convert(str(registry), str(tmp_path / "c"))
    assert n == 300
    for p in sorted((registry / "records").glob("*.md"))[:40]:
        fm, body = to_corpus.read_record(str(p))
        c = (tmp_path / "c" / ("srch-%s.md" % p.stem.lower())).read_text()
        cfm, cbody = to_corpus.read_record(str(tmp_path / "c" / ("srch-%s.md" % p.stem.lower())))
        assert cbody == body
        assert cfm["id"] == fm["id"] and cfm["tags"] == fm["topics"]
        assert cfm["title"] == " ".join((fm.get("title") or fm["research_question"]).split())
        assert cfm["submitted"] == fm["submitted"].isoformat()
        assert cfm["score"] == fm["review"]["score"] and cfm["claims"] == fm["claims"]["source_grounded"]
        assert cfm.get("doi") == fm.get("doi")
        assert "score: %.2f\n" % fm["review"]["score"] in c


EDITS = [
    ("---\na: 1\n---\n\nFirst para.\n\n## Limitations\n\n- x\n",
     "---\na: 1\n---\n\nFirst para. Revised in edit 2.\n\n## Limitations\n\n- x\n"),
    ("---\na: 1\n---\n\nOnly para.\n", "---\na: 1\n---\n\nOnly para. Revised in edit 2.\n"),
    ("Title: T\nDate: 2026-01-01\n\nBody para.\n\n## L\n", "Title: T\nDate: 2026-01-01\n\nBody para. Revised in edit 2.\n\n## L\n"),
]


@pytest.mark.parametrize("before,after", EDITS)
def test_edit_record_extends_the_abstract_in_every_format(before: str, after: str) -> None:
    assert edit_record.edit_text(before, "2") == after


def fake_site(root: Path, hexes: list[str], per_page: int = 50) -> None:
    """A site shaped like SPEC §4: records/<HEX>/index.html, paginated index, feed.json."""
    for h in hexes:
        (root / "records" / h).mkdir(parents=True)
        (root / "records" / h / "index.html").write_text("<h1>%s</h1>" % h)
    pages = [hexes[i:i + per_page] for i in range(0, len(hexes), per_page)]
    for k, chunk in enumerate(pages, start=1):
        d = root if k == 1 else root / "page" / str(k)
        d.mkdir(parents=True, exist_ok=True)
        pre = "" if k == 1 else "../../"
        rows = "".join('<tr><td><a href="%srecords/%s/">SRCH:%s</a></td></tr>' % (pre, h, h) for h in chunk)
        (d / "index.html").write_text("<table>%s</table>" % rows)
    (root / "feed.json").write_text(json.dumps({"items": [{"id": h} for h in hexes[:50]]}))  # the newest feed_size
    with gzip.open(root / "records.json.gz", "wt") as f:  # the data export: every record
        json.dump({"records": [{"abstract": "a {\"abstract\": b", "path": "records/%s/" % h} for h in hexes]}, f, sort_keys=True, separators=(",", ":"))


@pytest.mark.parametrize("n,per_page,drop_page,ok", [
    (120, 50, False, True), (50, 50, False, True), (51, 50, False, True),
    (120, 60, False, False), (120, 50, True, False)])
def test_check_output_srchgen_layout(tmp_path: Path, n: int, per_page: int, drop_page: bool, ok: bool) -> None:
    hexes = ["%08X" % (i * 7919) for i in range(1, n + 1)]
    fake_site(tmp_path / "site", hexes, per_page)
    if drop_page:
        shutil.rmtree(tmp_path / "site" / "records" / hexes[3])
    res = check_output.check_srchgen(str(tmp_path / "site"), ["srch-" + h.lower() for h in hexes])
    assert res["ok"] is ok
    assert res["index_rows"] == n
    assert res["feed_items"] == min(n, 50) and res["export_records"] == n
    assert res["size"]["by_kind"]["record pages"][0] == n - drop_page
    assert res["size"]["files"] == sum(f for f, _ in res["size"]["by_kind"].values())


def test_check_output_srchgen_wants_the_whole_export(tmp_path: Path) -> None:
    hexes = ["%08X" % (i * 7919) for i in range(1, 61)]
    fake_site(tmp_path / "site", hexes)
    with gzip.open(tmp_path / "site" / "records.json.gz", "wt") as f:
        json.dump({"records": [{"abstract": ""}] * 59}, f, separators=(",", ":"))
    assert check_output.check_srchgen(str(tmp_path / "site"), ["srch-" + h.lower() for h in hexes])["ok"] is False


def rows(peer: str, mode: str, walls: list[float], rss_kb: int = 100 * 1024) -> list[dict]:
    return [{"peer": peer, "mode": mode, "n": "10000", "run": str(i), "wall_s": "%.2f" % w,
             "user_s": "1", "sys_s": "1", "maxrss_kb": str(rss_kb), "tree_kb": "0", "exit": "0"}
            for i, w in enumerate(walls, 1)]


@pytest.mark.parametrize("full,noop,edit,check,rss,met", [
    (3.0, 0.3, 0.6, 1.2, 300, 6),          # every target met (checks ok)
    (11.0, 0.3, 0.6, 1.2, 300, 6),         # full just within 1.5 x Hugo (7.4 s -> 11.1 s budget)
    (11.2, 0.3, 0.6, 1.2, 300, 5),         # full just over it
    (3.0, 0.38, 0.75, 1.49, 500, 2),       # no-op, edit, check just over budget, RSS above Hugo's
])
def test_targets_are_ratios_of_medians(full: float, noop: float, edit: float, check: float,
                                       rss: int, met: int) -> None:
    data = (rows("hugo", "full", [7.0, 7.4, 9.0], 440 * 1024) + rows("pelican", "full", [43.5, 40, 50])
            + rows("srchgen", "full", [full] * 3, rss * 1024) + rows("srchgen", "noop", [noop] * 3)
            + rows("srchgen", "edit", [edit] * 3) + rows("srchgen", "check", [check] * 3))
    st = bench_table.Stats(data)
    checks = {"srchgen": {"full": {"ok": True}, "edit-equals-clean": {"ok": True}}}
    lines, got, total = bench_table.targets_table(st, checks)
    assert total == 6
    assert got == met
    assert sum("NOT MET" in ln for ln in lines) == total - met


def test_size_table_by_kind_and_the_size_targets() -> None:
    def size(pages: int, search: int) -> dict:
        kinds = {"record pages": [10000, pages], "record data": [10000, 30_000_000], "listings": [1600, 50_000_000]}
        if search:
            kinds["search"] = [10200, search]
        return {"files": sum(f for f, _ in kinds.values()), "bytes": sum(b for _, b in kinds.values()), "by_kind": kinds}

    checks = {"srchgen": {"full": {"ok": True, "size": size(15_000_000, 0)}, "full-search": {"ok": True, "size": size(15_000_000, 11_000_000)}},
              "hugo": {"full": {"ok": True, "size": {"files": 10001, "bytes": 99_000_000, "by_kind": {}}}}}
    lines = bench_table.size_table(checks, 10000)
    text = "\n".join(lines)
    assert "| record pages | 10,000 | 15.0 | 1,500 | 10,000 | 15.0 | 1,500 |" in text
    assert "| search | - | - | - | 10,200 | 11.0 | 1,100 |" in text
    assert "site <= 100 MB including search | 106.0 MB | **NOT MET**" in text
    assert "files per record <= 3.5 including search | 3.18 | met" in text
    assert "hugo: 99.0 MB in 10,001 files" in text
    assert bench_table.size_table({}, 10000) == []


@pytest.mark.parametrize("search_s,tree_mib,search_met,tree_met", [
    (299.9, 3814, True, True),      # both just within: 300 s, 4 GB = 3,814.7 MiB
    (300.1, 3815, False, False),    # both just over
    (120.0, 5000, True, False),     # fast, but the tree (Pagefind's peak) over 4 GB
])
def test_scale_table_has_issue_13_limits(monkeypatch: pytest.MonkeyPatch, search_s: float, tree_mib: int,
                                         search_met: bool, tree_met: bool) -> None:
    ref = rows("srchgen", "full", [20.0]) + rows("srchgen", "full-search", [30.0])
    big = rows("srchgen", "full", [200.0]) + rows("srchgen", "full-search", [search_s])
    big[-1]["tree_kb"] = str(tree_mib * 1024)  # the search build's tree: Pagefind included
    monkeypatch.setattr(bench_table, "load", lambda n: ref)
    text = "\n".join(bench_table.scale_table(bench_table.Stats(big), 100000, 10000))
    assert "| full | 20.00 | 200.00 | 10.00 | 11.0 | met |" in text  # no super-linear step (issue 5)
    search_row = [ln for ln in text.splitlines() if ln.startswith("| build with search <= 300 s")][0]
    tree_row = [ln for ln in text.splitlines() if ln.startswith("| process tree peak <= 3815 MiB")][0]
    assert search_row.endswith("| met |") == search_met and ("NOT MET" in search_row) != search_met
    assert tree_row.endswith("| met |") == tree_met and ("NOT MET" in tree_row) != tree_met


@pytest.mark.parametrize("first,next_,results", [
    (15.0, 5.0, ["met", "met"]),               # 1.5 x and 0.5 x Hugo + Pagefind's 10 s: at the limits
    (15.1, 5.1, ["**NOT MET**", "**NOT MET**"]),  # just over both
    (20.76, 19.51, ["**NOT MET**", "**NOT MET**"]),  # issue 23's measurement on 9b8357d
])
def test_push_table_is_srchgen_against_hugo_and_pagefind_from_scratch(first: float, next_: float, results: list[str]) -> None:
    """Issue 23: both pushes against Hugo + Pagefind's push (which caches nothing), medians."""
    data = (rows("hugo", "push-first", [9.0, 10.0, 12.0]) + rows("hugo", "push-next", [30.0] * 3)
            + rows("srchgen", "push-first", [first] * 3) + rows("srchgen", "push-next", [next_] * 3))
    lines = bench_table.push_table(bench_table.Stats(data))
    assert [ln.rsplit("|", 2)[1].strip() for ln in lines[2:]] == results
    assert "%.3f" % (first / 10.0) in lines[2] and "%.3f" % (next_ / 10.0) in lines[3]
    assert bench_table.push_table(bench_table.Stats(rows("hugo", "full", [1.0]))) == []  # no push measured: no table
