"""Search in shards (search_shard_size): one Pagefind bundle per shard, each record page indexed once."""
from __future__ import annotations

import gzip
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from srchgen.build import search
from srchgen.build.pipeline import build
from srchgen.build.search import SHARDS_FILE, pagefind_command
from tests.conftest import CORPUS, manifest, project_for, write_record

pytestmark = pytest.mark.skipif(pagefind_command(Path(".")) is None, reason="Pagefind is not installed")


def _bundles(site: Path) -> list[Path]:
    root = site / "pagefind"
    merged = json.loads((root / SHARDS_FILE).read_text())["merge"]
    return [root] + [root / d for d in merged]


def _indexed(bundle: Path) -> tuple[int, list[str]]:
    """The bundle's page count (pagefind-entry.json) and the URL of each page it holds (its fragments)."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    count = sum(lang["page_count"] for lang in entry["languages"].values())
    urls = []
    for f in sorted((bundle / "fragment").iterdir()):
        data = gzip.decompress(f.read_bytes())
        urls.append(json.loads(data[data.index(b"{"):])["url"])
    return count, urls


def _records(site: Path) -> list[str]:
    return sorted(f"/records/{p.parent.name}/" for p in (site / "records").glob("*/index.html"))


def _check(site: Path, size: int) -> list[list[str]]:
    bundles = _bundles(site)
    assert all((b / "pagefind.js").is_file() and (b / "pagefind-entry.json").is_file() for b in bundles)
    per = [_indexed(b) for b in bundles]
    assert all(count == len(urls) <= size for count, urls in per), per
    seen = Counter(u for _, urls in per for u in urls)
    assert sorted(seen) == _records(site) and set(seen.values()) == {1}, seen
    on_disk = sorted(p.name for p in (site / "pagefind").glob("shard-*"))
    assert on_disk == sorted(b.name for b in bundles[1:]), "a bundle on disk that the search page does not merge"
    return [urls for _, urls in per]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(CORPUS / "valid", root, symlinks=True)
    return root


def test_small_shards_index_every_record_once(corpus: Path) -> None:
    report = build(project_for(corpus, search_shard_size=2), search=True)
    assert not report.errors
    indexed = _check(corpus / "site", 2)
    assert len(indexed) == 7  # the 14 records of the corpus, two a shard
    assert indexed[0] == ["/records/08EA5386/", "/records/3C71B9E2/"] or sorted(indexed[0]) == ["/records/08EA5386/", "/records/3C71B9E2/"]


def test_registry_within_the_shard_size_keeps_one_bundle(corpus: Path) -> None:
    build(project_for(corpus, search_shard_size=14), search=True)
    site = corpus / "site"
    assert json.loads((site / "pagefind" / SHARDS_FILE).read_text()) == {"merge": []}
    assert not list((site / "pagefind").glob("shard-*"))
    _check(site, 14)


def test_incremental_build_reindexes_every_shard(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new record moves the shard boundaries: the updated site's shards still hold every page once."""
    runs: list[bool] = []
    index = search._index
    monkeypatch.setattr(search, "_index", lambda site, output, report: (runs.append(output is not None), index(site, output, report))[1])
    build(project_for(corpus, search_shard_size=4), search=True)
    assert len(_check(corpus / "site", 4)) == 4
    write_record(corpus / "records", manifest(id="SRCH:00000001", research_question="Does a sharded index find a new record?"))
    write_record(corpus / "records", manifest(id="SRCH:FFFFFFF0", research_question="Does a sharded index find the last record?"))
    write_record(corpus / "records", manifest(id="SRCH:90000000", research_question="Does a sharded index find a middle record?"))
    report = build(project_for(corpus, search_shard_size=4), search=True)
    assert not report.errors, [str(p) for p in report.errors]
    indexed = _check(corpus / "site", 4)
    assert len(indexed) == 5 and "/records/00000001/" in indexed[0] and "/records/FFFFFFF0/" in indexed[-1]
    (corpus / "records" / "FFFFFFF0.md").unlink()
    (corpus / "records" / "00000001.md").unlink()
    build(project_for(corpus, search_shard_size=4), search=True)
    assert len(_check(corpus / "site", 4)) == 4  # the fifth bundle is gone with its records
    assert runs == [False, True, True]  # a whole build, then two updates in place (index_search)


def _site_of(root: Path, n: int) -> Path:
    for i in range(n):
        page = root / "records" / f"{i:08X}" / "index.html"
        page.parent.mkdir(parents=True)
        page.write_text("<html><body>x</body></html>")
    return root


def test_missing_pagefind_is_one_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from srchgen.build.project import Report

    monkeypatch.setattr(search, "pagefind_command", lambda *a, **k: None)
    report = Report(search_shard_size=2)
    search.run_pagefind(_site_of(tmp_path / "site", 5), report)
    assert len(report.notes) == 1 and "Pagefind is not installed" in report.notes[0]
    assert not (tmp_path / "site" / "pagefind").exists()


def test_a_failing_shard_run_is_one_oserror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The third of three runs fails (a full disk, say): one OSError naming the site, as before."""
    import sys

    from srchgen.build.project import Report

    real = search.pagefind_command

    def command(site: Path, output: Path | None = None, glob: str = search.ALL_RECORDS, bundle: str = "") -> list[str] | None:
        if bundle == "shard-3/":
            return [sys.executable, "-c", "import sys; sys.exit('Error: No space left on device')", "--site", str(site)]
        return real(site, output, glob, bundle)

    monkeypatch.setattr(search, "pagefind_command", command)
    with pytest.raises(OSError) as e:
        search.run_pagefind(_site_of(tmp_path / "site", 5), Report(search_shard_size=2))
    assert "Pagefind failed: Error: No space left on device" in str(e.value) and "\n" not in str(e.value)
    assert (tmp_path / "site" / "pagefind" / "shard-2" / "pagefind-entry.json").is_file()
