"""Output paths and relative links (SPEC §4: domain root, /repo/ prefix, file://)."""

from __future__ import annotations

import pytest

from srchgen.render import routes
from srchgen.config import Config
from srchgen.derive.rules import Gate, Level, Tier


@pytest.mark.parametrize(
    "src, target, expected",
    [
        ("index.html", "records/08EA5386/index.html", "records/08EA5386/index.html"),
        ("records/08EA5386/index.html", "index.html", "../../index.html"),
        ("records/08EA5386/index.html", "assets/style.css", "../../assets/style.css"),
        ("records/08EA5386/index.html", "records/8F12A054/index.html", "../../records/8F12A054/index.html"),
        ("page/2/index.html", "page/3/index.html", "../../page/3/index.html"),
        ("tiers/doi-grade/page/2/index.html", "tiers/doi-grade/index.html", "../../../../tiers/doi-grade/index.html"),
        ("index.html", "pagefind/", "pagefind/"),
        ("search/index.html", "pagefind/", "../pagefind/"),
    ],
)
def test_relative(src: str, target: str, expected: str) -> None:
    assert routes.relative(src, target) == expected


@pytest.mark.parametrize("n, path", [(1, "tiers/watchlist/index.html"), (2, "tiers/watchlist/page/2/index.html")])
def test_listing_pages(n: int, path: str) -> None:
    assert routes.listing_page(routes.tier_dir(Tier.WATCHLIST), n) == path


def test_home_listing() -> None:
    assert routes.listing_page("", 1) == "index.html"
    assert routes.listing_page("", 3) == "page/3/index.html"


def test_facet_dirs_are_slugs() -> None:
    assert routes.tier_dir(Tier.QUARANTINE) == "tiers/quarantine-candidate/"
    assert routes.gate_dir(Gate.UNVERIFIED) == "gate/unverified/"
    assert routes.level_dir(Level.L2) == "levels/l2/"


@pytest.mark.parametrize(
    "target, url",
    [("index.html", "https://org.github.io/repo/"), ("records/X/index.html", "https://org.github.io/repo/records/X/"), ("feed.json", "https://org.github.io/repo/feed.json")],
)
def test_absolute(target: str, url: str) -> None:
    assert routes.absolute("https://org.github.io/repo/", target) == url


@pytest.mark.parametrize(
    "base_url, base_path",
    [(None, "/"), ("https://example.org", "/"), ("https://example.org/", "/"), ("https://org.github.io/repo", "/repo/"), ("https://org.github.io/a/b/", "/a/b/")],
)
def test_base_path(base_url: str | None, base_path: str) -> None:
    assert Config(base_url=base_url).base_path == base_path
