"""filter-index.json, behind the listings' instant filter, agrees with the static listings (SPEC §4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from srchgen.render import finder


def test_filter_index_lists_every_record_newest_first(built_corpus: Path) -> None:
    data = json.loads((built_corpus / finder.FILTER_INDEX).read_text(encoding="utf-8"))
    assert data["format"] == finder.FORMAT
    records = data["records"]
    hexes = [r[0] for r in records]
    on_disk = sorted(p.name for p in (built_corpus / "records").iterdir() if p.is_dir())
    assert sorted(hexes) == on_disk
    assert [r[2] for r in records] == sorted((r[2] for r in records), reverse=True)
    for r in records:
        for field, at in (("tier", 4), ("gate", 5), ("level", 6), ("section", 7)):
            label, value, folder = data[field][r[at]]
            assert (built_corpus / folder / "index.html").is_file(), folder
        for t in r[8]:
            assert (built_corpus / data["topic"][t][2] / "index.html").is_file()


def test_filter_values_match_the_rows_data_attributes(built_corpus: Path) -> None:
    """The JS compares select values with the rows' data-f and the index's values: all three must agree."""
    data = json.loads((built_corpus / finder.FILTER_INDEX).read_text(encoding="utf-8"))
    home = (built_corpus / "index.html").read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-f="([^" ]+) ([^" ]+) ([^" ]+) ([^" ]+)"><td>SRCH:([0-9A-F]{8})<', home)
    assert rows
    by_hex = {r[0]: r for r in data["records"]}
    for tier, gate, level, section, hex_id in rows:
        r = by_hex[hex_id]
        assert (data["tier"][r[4]][1], data["gate"][r[5]][1], data["level"][r[6]][1], data["section"][r[7]][1]) == (tier, gate, level, section)
    for field, _label, options in finder.choices():
        assert [v for v, _ in options] == [x[1] for x in data[field]]
        for value, _ in options:
            assert f'<option value="{value}">' in home


def test_filter_form_is_laid_out_from_the_start_and_hidden_without_javascript(built_corpus: Path) -> None:
    """Issue 24: the form has its place before the script runs (its fields disabled until then),
    so nothing moves; without JavaScript assets/nojs.css hides it."""
    home = (built_corpus / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<form class="instant-filter" data-index="filter-index.json"', home)
    assert '<fieldset class="filter-fields" disabled>' in home and " hidden " not in home.split('class="instant-filter"')[1].split(">")[0]
    assert '<noscript><link rel="stylesheet" href="assets/nojs.css"></noscript>' in home
    assert (built_corpus / "assets" / "nojs.css").read_text(encoding="utf-8").strip().endswith(".instant-filter { display: none; }")
    assert 'src="assets/filter.js"' in home
    tier_page = (built_corpus / "tiers/watchlist/index.html").read_text(encoding="utf-8")
    assert 'data-scope-kind="tier" data-scope-value="watchlist"' in tier_page
    assert '<select name="tier">' not in tier_page  # the facet's own field is fixed on its page
