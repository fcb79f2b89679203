"""The checkers themselves can fail: each is aimed at a fixture with known defects."""
from __future__ import annotations

import pytest

from tests.browser.sitecheck import BROKEN_SITE, css_urls, crawl, format_axe, require_tool, run_axe, serve_directory


@pytest.fixture(scope="module")
def broken_crawl():
    """Crawl of the broken fixture, served under /repo/."""
    with serve_directory(BROKEN_SITE) as served:
        yield served, crawl(served, own_base_url="https://example.org/repo/")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("missing/index.html", "HTTP 404"),
        ("ok/index.html#nowhere", "no element with id"),
        ("/assets/style.css", "outside the site prefix"),
        ("https://example.org/repo/ok/", "absolute link to the site's own URL"),
        ("missing.png", "HTTP 404"),
    ],
)
def test_crawler_reports_each_broken_link(broken_crawl, target: str, reason: str) -> None:
    """Each planted defect is reported once with its reason."""
    _, result = broken_crawl
    hits = [p for p in result.broken if p.target.endswith(target) and reason in p.reason]
    assert len(hits) == 1, "\n".join(map(str, result.broken))


def test_crawler_reports_nothing_else(broken_crawl) -> None:
    """Good links (ok page, CSS image, external page, mailto, canonical) are not reported."""
    _, result = broken_crawl
    assert len(result.broken) == 5, "\n".join(map(str, result.broken))


def test_crawler_reports_foreign_resources_only(broken_crawl) -> None:
    """CDN script and stylesheet are foreign; a link to an outside page and the canonical are not."""
    _, result = broken_crawl
    assert sorted(p.target for p in result.foreign) == [
        "https://cdn.example.com/lib.js", "https://cdn.example.com/theme.css"]


@pytest.mark.parametrize(
    ("css", "urls"),
    [
        ("a{b:url(x.png)}", ["x.png"]),
        ("a{b:url( 'y z.png' )}", ["y z.png"]),
        ('@import "p.css"; a{b:url("q.svg#i")}', ["p.css", "q.svg#i"]),
        ("/* url(no.png) */ a{}", []),
        ("a{b:url(data:image/png;base64,AA==)}", ["data:image/png;base64,AA=="]),
    ],
)
def test_css_urls(css: str, urls: list[str]) -> None:
    """url() and @import are found, comments are not."""
    assert css_urls(css) == urls


def test_vnu_reports_errors_as_file_line_col(vnu_all) -> None:
    """The Nu Html Checker flags the planted invalid nesting and CSS typo, located by file:line:col."""
    messages, checked = vnu_all[BROKEN_SITE.resolve()]
    assert checked == 3  # two pages, one stylesheet
    rendered = [str(m) for m in messages]
    assert any(r.startswith("index.html:") and "“p”" in r for r in rendered), rendered
    assert any(r.startswith("assets/style.css:4:") and "colr" in r for r in rendered), rendered
    assert not any(r.startswith("ok/") for r in rendered), rendered


def test_axe_reports_missing_alt(chromium_browser, axe_ready) -> None:
    """axe-core flags the planted image without alt text, and says where."""
    with serve_directory(BROKEN_SITE) as served:
        page = chromium_browser.new_page()
        try:
            page.route("https://cdn.example.com/**", lambda route: route.abort())
            page.goto(served.url(), wait_until="load")
            violations = run_axe(page)
        finally:
            page.close()
    assert "image-alt" in {v["id"] for v in violations}
    assert '<img src="assets/photo.svg">' in format_axe(violations)


@pytest.mark.parametrize(
    ("ci", "outcome"),
    [("true", pytest.fail.Exception), ("TRUE", pytest.fail.Exception), ("", pytest.skip.Exception),
     ("false", pytest.skip.Exception), (None, pytest.skip.Exception)],
)
def test_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch, ci: str | None, outcome: type) -> None:
    """A missing tool never passes silently: CI=true fails with the plain reason, else skip with it."""
    if ci is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", ci)
    with pytest.raises(outcome, match="chromium not found"):
        require_tool(False, "chromium not found")
    require_tool(True, "unused")  # present: no exception
