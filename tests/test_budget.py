"""The output budget (SPEC §8): two files per record, feeds of the newest records with ids that
never change, a sitemap with lastmod and no empty listings, and max_site_bytes enforced before
site/ is touched, on the clean and the incremental path."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from srchgen.build import budget
from srchgen.build.pipeline import build
from srchgen.cli.commands import main
from tests.conftest import manifest, project_for, write_record
from tests.test_build import digest

ATOM = "{http://www.w3.org/2005/Atom}"
SIZE_LINE = re.compile(r"^site/: [\d,]+ files, [\d,.]+ (MB|kB)$", re.M)


def run(runner: CliRunner, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(main, list(args), catch_exceptions=False)


def registry(root: Path, n: int, toml: str = "") -> Path:
    for i in range(n):
        write_record(root / "records", manifest(id=f"SRCH:{i:08X}", submitted=f"2026-01-{1 + i % 28:02d}"))
    (root / "pyproject.toml").write_text('[tool.srchgen]\ntitle = "T"\n' + toml)
    return root


def test_build_prints_size_and_file_count(runner: CliRunner, tmp_project: Path) -> None:
    result = run(runner, "build", "--no-search")
    assert result.exit_code == 0, result.output
    line = SIZE_LINE.search(result.stdout)
    assert line, result.stdout
    files = [p for p in (tmp_project / "site").rglob("*") if p.is_file()]
    assert f"site/: {len(files):,} files" in line.group(0)
    again = run(runner, "build", "--no-search")  # the no-op says so in one line, with the size (issue 24)
    assert again.stdout == f"site/ is up to date: 14 records, {line.group(0).removeprefix('site/: ')}\n", again.output


def test_over_budget_fails_before_touching_site(runner: CliRunner, tmp_project: Path) -> None:
    assert run(runner, "build", "--no-search").exit_code == 0
    before = digest(tmp_project / "site")
    with (tmp_project / "pyproject.toml").open("a") as f:
        f.write("max_site_bytes = 20000\n")
    result = run(runner, "build", "--no-search")
    assert result.exit_code == 1
    over = [line for line in result.stderr.splitlines() if "over max_site_bytes" in line]
    assert len(over) == 1, result.stderr
    assert over[0].startswith("site/ would be ") and "(20,000 bytes); largest: " in over[0]
    kinds = re.findall(r"([a-z ]+) ([\d.]+) (k?B) \((\d+) files?\)", over[0].split("largest: ")[1])
    sizes = [float(n) * (1000 if unit == "kB" else 1) for _, n, unit, _ in kinds]
    assert len(kinds) >= 2 and sizes == sorted(sizes, reverse=True), over[0]  # what took the space, largest first
    assert {"record pages", "listings"} <= {k.strip() for k, *_ in kinds}
    assert "site not written: site is unchanged" in result.stderr
    assert digest(tmp_project / "site") == before
    assert not list(tmp_project.glob("site.tmp-*"))  # the staging tree is gone


def test_over_budget_on_an_in_place_update_leaves_site_as_it_was(tmp_path: Path) -> None:
    root = registry(tmp_path / "p", 3)
    assert not build(project_for(root), search=False).errors
    before = digest(root / "site")
    (root / "records/00000001.md").write_text((root / "records/00000001.md").read_text() + "\nOne more sentence.\n")
    project = project_for(root)
    project = type(project)(root=project.root, records=project.records, out=project.out, config=project.config.model_copy(update={"max_site_bytes": 1000}))
    with pytest.raises(budget.OverBudget) as err:
        build(project, search=False)
    assert "over max_site_bytes (1,000 bytes)" in str(err.value)
    assert digest(root / "site") == before and not (root / "site.journal").exists()
    report = build(project_for(root), search=False)  # the next build within budget does the update
    assert not report.errors and report.usage is not None and report.usage.bytes > 1000


def test_usage_by_kind(tmp_path: Path) -> None:
    root = registry(tmp_path / "p", 4)
    report = build(project_for(root), search=False)
    u = report.usage
    assert u is not None and u == budget.measure(root / "site")
    assert u.by_kind["record pages"][0] == 4 and u.by_kind["record data"][0] == 4
    assert "citation files" not in u.by_kind
    assert u.by_kind["data export"][0] == 1 and u.by_kind["feeds"][0] == 2
    assert sum(f for f, _ in u.by_kind.values()) == u.files and sum(b for _, b in u.by_kind.values()) == u.bytes


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("records/0A/index.html", "record pages"), ("records/0A/record.json", "record data"),
        ("records/0A/artifacts/x.py", "artifacts"), ("index.html", "listings"), ("page/2/index.html", "listings"),
        ("topics/x/index.html", "listings"), ("pagefind/pagefind.js", "search"), ("feed.atom", "feeds"),
        ("records.json.gz", "data export"), ("sitemap-2.xml", "sitemaps"), ("assets/cite.js", "assets"),
        ("guide/index.html", "other pages"), (".nojekyll", "other"), ("filter-index.json", "filter index"),
    ],
)
def test_kind_of(path: str, kind: str) -> None:
    assert budget.kind_of(path) == kind


def test_feeds_hold_the_newest_feed_size_records_with_stable_ids(tmp_path: Path) -> None:
    root = registry(tmp_path / "p", 7, "feed_size = 3\n")
    assert not build(project_for(root), search=False).errors
    feed = json.loads((root / "site/feed.json").read_text())
    ids = [item["id"] for item in feed["items"]]
    assert ids == ["SRCH:00000006", "SRCH:00000005", "SRCH:00000004"]  # newest first
    atom = ET.parse(root / "site/feed.atom").getroot()
    assert [e.findtext(f"{ATOM}id") for e in atom.iter(f"{ATOM}entry")] == [f"urn:srchgen:{i}" for i in ids]
    feed_id = atom.findtext(f"{ATOM}id")
    # the same ids whatever base_url the site is served from
    assert not build(project_for(root, out=root / "other", base_url="https://example.org/moved/"), search=False).errors
    moved = json.loads((root / "other/feed.json").read_text())
    assert [item["id"] for item in moved["items"]] == ids
    atom2 = ET.parse(root / "other/feed.atom").getroot()
    assert [e.findtext(f"{ATOM}id") for e in atom2.iter(f"{ATOM}entry")] == [f"urn:srchgen:{i}" for i in ids]
    assert atom2.findtext(f"{ATOM}id") == feed_id == "urn:srchgen:feed"


def test_sitemap_lastmod_and_no_empty_listings(tmp_path: Path) -> None:
    root = tmp_path / "p"
    write_record(root / "records", manifest(id="SRCH:0000000A", submitted="2026-03-01"))
    write_record(root / "records", manifest(
        id="SRCH:0000000B", submitted="2026-03-01",
        corrections=[{"date": "2026-04-02", "type": "erratum", "summary": "Fixed a figure."}],
    ))
    assert not build(project_for(root, base_url="https://example.org/r/"), search=False).errors
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = {u.findtext(f"{ns}loc"): u.findtext(f"{ns}lastmod") for u in ET.parse(root / "site/sitemap.xml").getroot()}
    assert urls["https://example.org/r/records/0000000A/"] == "2026-03-01"
    assert urls["https://example.org/r/records/0000000B/"] == "2026-04-02"  # its correction
    empty = [p for p in (root / "site").rglob("index.html") if "No records." in p.read_text()]
    assert empty, "some tier, gate or level has no records in this registry"
    for page in empty:  # still built for browsing, but not offered to search engines
        rel = page.relative_to(root / "site").as_posix().removesuffix("index.html")
        assert "https://example.org/r/" + rel not in urls


def test_size_with_search_counted_on_the_incremental_path(tmp_path: Path) -> None:
    """Pagefind's index counts as 'search'; an update that re-indexes replaces its row, not walks the site."""
    pytest.importorskip("pagefind_bin")
    root = registry(tmp_path / "p", 3)
    first = build(project_for(root), search=True)
    assert first.usage is not None and first.usage.by_kind["search"][0] > 0
    assert first.usage == budget.measure(root / "site")
    (root / "records/00000001.md").write_text((root / "records/00000001.md").read_text() + "\nOne more sentence about search.\n")
    second = build(project_for(root), search=True)
    assert second.usage == budget.measure(root / "site")
    write_record(root / "records", manifest(id="SRCH:000000FF", submitted="2026-02-01"))
    third = build(project_for(root), search=True)  # a record added: the full incremental path
    assert third.usage == budget.measure(root / "site") and third.usage.by_kind["record pages"][0] == 4


def test_lastmod_counts_the_gate_evaluation(built_corpus: Path) -> None:
    """A record's last update is the newest of its submission, corrections and gate evaluation (UTC day)."""
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    urls = {u.findtext(f"{ns}loc"): u.findtext(f"{ns}lastmod") for u in ET.parse(built_corpus / "sitemap.xml").getroot()}
    base = "https://example.org/repo/records/"
    assert urls[base + "A0000001/"] == "2026-06-21"  # submitted 06-20, evaluated 2026-06-21T09:00:00Z
    assert urls[base + "A0000003/"] == "2026-07-04"  # evaluated 2026-07-04T10:30:00+02:00
    feed = json.loads((built_corpus / "feed.json").read_text())
    item = next(i for i in feed["items"] if i["id"] == "SRCH:A0000001")
    assert item["date_modified"] == "2026-06-21T00:00:00Z" and item["date_published"] == "2026-06-20T00:00:00Z"


def test_sitemap_splits_past_the_limit_and_keeps_lastmod(monkeypatch: pytest.MonkeyPatch) -> None:
    from srchgen.render import feeds, routes
    from srchgen.config import Config

    monkeypatch.setattr(routes, "SITEMAP_MAX", 3)
    pages = [("index.html", None)] + [(routes.record_page(f"{i:08X}"), f"2026-01-0{i + 1}") for i in range(6)]
    out = {o.path: o.data.decode() for o in feeds.sitemaps(pages, Config(base_url="https://example.org/r/"))}
    assert sorted(out) == ["sitemap-1.xml", "sitemap-2.xml", "sitemap-3.xml", "sitemap.xml"]
    index = ET.fromstring(out["sitemap.xml"])
    assert index.tag.endswith("sitemapindex") and len(index) == 3
    parts = [ET.fromstring(out[f"sitemap-{i}.xml"]) for i in (1, 2, 3)]
    assert [len(p) for p in parts] == [3, 3, 1]
    ns = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
    assert parts[0][0].find(f"{ns}lastmod") is None  # the home page: no lastmod
    assert parts[2][0].findtext(f"{ns}lastmod") == "2026-01-06"
    assert feeds.sitemaps(pages, Config()) == []  # no base_url, no sitemap


def test_over_budget_on_a_forked_clean_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker process writes half the records into the staging tree; the check runs after it
    is done, and a site over the limit leaves no staging tree and no site."""
    from srchgen.build import parallel

    if not parallel.available():
        pytest.skip("no fork or a single core")
    from srchgen.build import pipeline as build_mod

    monkeypatch.setattr(parallel, "MIN_RECORDS", 2)
    forks: list[int] = []
    real = build_mod._start_worker
    monkeypatch.setattr(build_mod, "_start_worker", lambda *a, **k: forks.append(1) or real(*a, **k))
    first, second = registry(tmp_path / "a", 6), registry(tmp_path / "b", 6)  # two caches: both builds fork
    ok = build(project_for(first), search=False)
    assert ok.usage == budget.measure(first / "site") and ok.usage.by_kind["record pages"][0] == 6  # both halves counted
    with pytest.raises(budget.OverBudget):
        build(project_for(second, max_site_bytes=ok.usage.bytes - 1), search=False)
    assert not (second / "site").exists() and not list(second.glob("site.tmp-*"))
    assert len(forks) == 2
    assert build(project_for(second, max_site_bytes=ok.usage.bytes), search=False).usage == ok.usage  # exactly at the limit: ok


@pytest.mark.parametrize("forked", [False, True])
@pytest.mark.parametrize("search", [False, True])
def test_a_clean_builds_usage_counted_as_written_is_the_trees(tmp_project: Path, monkeypatch: pytest.MonkeyPatch, forked: bool, search: bool) -> None:
    """A clean build counts what each process writes instead of walking the staging tree (and
    walks only pagefind/): the same files and bytes, by kind, as a walk of the site it published."""
    from srchgen.build import parallel
    from srchgen.build.search import pagefind_command

    if forked and not parallel.available():
        pytest.skip("no fork or a single core")
    if search and pagefind_command(tmp_project) is None:
        pytest.skip("Pagefind is not installed")
    monkeypatch.setattr(parallel, "MIN_RECORDS", 2 if forked else 10**9)
    report = build(project_for(tmp_project), search=search)
    assert not report.errors and report.usage is not None
    walked = budget.measure(tmp_project / "site")
    assert report.usage == walked and walked.by_kind["artifacts"][0] > 0 and walked.by_kind["assets"][0] > 0
    assert ("search" in walked.by_kind) == search


@pytest.mark.parametrize(("n", "text"), [(0, "0 files"), (1, "1 file"), (2, "2 files"), (1000, "1,000 files")])
def test_file_counts_are_worded_by_number(n: int, text: str) -> None:
    assert budget.files(n) == text


def test_the_over_budget_line_says_1_file_not_1_files() -> None:
    u = budget.Usage()
    u.add("records.json.gz", 5_000_000)
    u.add("records/0A/index.html", 1_000)
    u.add("records/0B/index.html", 1_000)
    line = u.over("site/", 1_000)
    assert line == (
        "site/ would be 5.0 MB in 3 files, over max_site_bytes (1,000 bytes); largest: "
        "data export 5.0 MB (1 file), record pages 2.0 kB (2 files)"
    )
    assert budget.Usage().line("site/") == "site/: 0 files, 0.0 kB"


def test_max_site_bytes_defaults_to_pages_unpacked_limit() -> None:
    """SPEC §8, corrected: Pages refuses a site over 10 GB unpacked; the default no longer refuses
    a default build of 100,000 records (2.4 GB)."""
    from srchgen.config import Config

    assert Config().max_site_bytes == 10_000_000_000


@pytest.mark.parametrize("size,noted", [(0, False), (budget.PAGES_DOCUMENTED_BYTES, False), (budget.PAGES_DOCUMENTED_BYTES + 1, True), (9_999_999_999, True)])
def test_a_site_over_1_gb_gets_one_note(size: int, noted: bool) -> None:
    from srchgen.build.project import Report

    report = Report()
    usage = budget.Usage()
    usage.add("records/ABCDEF01/index.html", size)
    check = report.check_budget(10_000_000_000)
    check(usage)
    check(usage)  # a build that checks twice (before and after search) still says it once
    assert report.notes.count(budget.LARGE_SITE) == (1 if noted else 0)


def test_the_note_reaches_the_command_line(runner: CliRunner, tmp_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(budget, "PAGES_DOCUMENTED_BYTES", 20_000)
    result = run(runner, "build", "--no-search")
    assert result.exit_code == 0, result.output
    assert result.stderr.count("note: the site is over 1 GB unpacked") == 1
