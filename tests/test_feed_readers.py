"""Feeds as a feed reader sees them: valid, the newest `feed_size` records, and ids that survive a
change of base_url (SPEC §4, §8; issue 14: readers must not see every entry again).

feed.atom is read by feedparser; feedparser 6.0 does not read JSON Feed, so feed.json is checked
against JSON Feed 1.1's required members and read the way a reader keys it (items by `id`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import feedparser
import pytest

from srchgen.build.pipeline import build
from tests.conftest import CORPUS, project_for

N_VALID = len(list((CORPUS / "valid" / "records").glob("*.md")))


def _built(tmp_path: Path, name: str, **overrides: object) -> Path:
    root = tmp_path / name
    shutil.copytree(CORPUS / "valid", root, symlinks=True)
    report = build(project_for(root, **overrides), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    return root / "site"


def _json_feed(path: Path) -> SimpleNamespace:
    doc = json.loads(path.read_bytes())
    assert doc["version"] == "https://jsonfeed.org/version/1.1" and doc["title"]
    for item in doc["items"]:
        assert isinstance(item["id"], str) and item["id"]
        assert "content_html" in item or "content_text" in item
    ids = [item["id"] for item in doc["items"]]
    assert len(set(ids)) == len(ids)
    return SimpleNamespace(entries=[SimpleNamespace(id=i) for i in ids])


def _read(site: Path) -> tuple[feedparser.FeedParserDict, SimpleNamespace]:
    atom = feedparser.parse((site / "feed.atom").read_bytes())
    assert not atom.bozo, atom.get("bozo_exception")
    assert atom.version == "atom10"
    return atom, _json_feed(site / "feed.json")


@pytest.fixture(scope="module")
def two_bases(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("feeds")
    return _built(tmp, "plain"), _built(tmp, "moved", base_url="https://org.example/registry/")


def test_ids_do_not_depend_on_base_url(two_bases: tuple[Path, Path]) -> None:
    (atom_a, jf_a), (atom_b, jf_b) = (_read(site) for site in two_bases)
    assert atom_a.feed.id == atom_b.feed.id
    assert [e.id for e in atom_a.entries] == [e.id for e in atom_b.entries]
    assert [e.id for e in jf_a.entries] == [e.id for e in jf_b.entries]
    # the entries link to their pages once base_url is known; without it there is nothing absolute to link
    assert all(e.link.startswith("https://org.example/registry/records/") for e in atom_b.entries)


def test_entries_are_newest_first_and_name_their_record(two_bases: tuple[Path, Path]) -> None:
    atom, jf = _read(two_bases[1])
    published = [e.published_parsed for e in atom.entries]
    assert published == sorted(published, reverse=True)
    assert len(atom.entries) == len(jf.entries) == N_VALID  # fewer records than feed_size
    assert [e.id.rsplit(":", 1)[1] for e in atom.entries] == [e.id.rsplit(":", 1)[1] for e in jf.entries]


@pytest.mark.parametrize("feed_size", [1, N_VALID - 1, N_VALID, N_VALID + 1])
def test_feeds_hold_the_newest_feed_size_records(tmp_path: Path, two_bases: tuple[Path, Path], feed_size: int) -> None:
    atom, jf = _read(_built(tmp_path, "p", feed_size=feed_size))
    assert len(atom.entries) == len(jf.entries) == min(feed_size, N_VALID)
    every_atom, every_jf = _read(two_bases[0])  # the default feed_size (50) holds every record here
    assert [e.id for e in atom.entries] == [e.id for e in every_atom.entries][:feed_size]
    assert [e.id for e in jf.entries] == [e.id for e in every_jf.entries][:feed_size]
