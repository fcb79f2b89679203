"""404.html at any depth, on a site built without base_url (issue 24, item 6): styled, and its
links reach the site's index, at the root of a host and under a project prefix, in Chromium."""
from __future__ import annotations

import urllib.request
from pathlib import Path

import pytest

from tests.browser.sitecheck import serve_directory

DEEP = "records/DEADBEEF/nothing/here/"


@pytest.mark.parametrize("prefix", ["/", "/repo/"], ids=["host-root", "project-prefix"])
@pytest.mark.parametrize("where", [DEEP, "nothing.html", "records/"], ids=["deep", "top", "one-level"])
def test_a_404_anywhere_links_to_the_index_and_is_styled(chromium_browser: object, local_site: Path, prefix: str, where: str) -> None:
    assert "<script>" in (local_site / "404.html").read_text(encoding="utf-8")  # built without base_url: the root-finding script
    with serve_directory(local_site, prefix) as served:
        page = chromium_browser.new_page()  # type: ignore[attr-defined]
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "404" not in m.text else None)
        try:
            response = page.goto(served.url(where))
            assert response is not None and response.status == 404
            index = page.get_by_role("link", name="the index")
            page.wait_for_function(
                "want => document.querySelector('main a').href === want", arg=served.url("index.html"), timeout=10_000,
            )
            assert index.evaluate("a => a.href") == served.url("index.html")
            for href in page.eval_on_selector_all("a[href]", "as => as.map(a => a.href)"):
                if href.startswith(served.origin) and "#" not in href:
                    with urllib.request.urlopen(href) as r:  # noqa: S310 (loopback)
                        assert r.status == 200, href
            # the full stylesheet arrives from the root: its rules apply (the brand link is styled by it)
            page.wait_for_function(
                "want => [...document.styleSheets].some(s => s.href === want)", arg=served.url("assets/style.css"), timeout=10_000,
            )
            assert not [e for e in errors if "Content Security Policy" in e], errors
        finally:
            page.close()
