"""Session fixtures for the real-tool checks (issue 6): one server, one browser, one vnu run."""
from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

from tests.browser.sitecheck import (
    AXE_JS, BROKEN_SITE, CHROMIUM, CHROMIUM_ARGS, HAND_MADE_SITE, REPO, Served, VnuMessage, require_tool, run_vnu, serve_directory, vnu_available,
)

VALID_CORPUS = REPO / "tests" / "corpus" / "valid"



@pytest.fixture(scope="session")
def site_root(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site under test: `built_site` when defined, else the hand-made fixture.

    SRCHGEN_BROWSER_SITE=fixture forces the hand-made fixture; =PATH checks that built site.

    The fixture is copied and given a Pagefind bundle, as `srchgen build` ends (SPEC §4).
    """
    chosen = os.environ.get("SRCHGEN_BROWSER_SITE", "")  # "fixture", or a built site's path
    if chosen and chosen != "fixture":
        return Path(chosen).resolve()
    if chosen != "fixture":
        try:
            return Path(request.getfixturevalue("built_site"))
        except pytest.FixtureLookupError:
            pass
    site = tmp_path_factory.mktemp("hand-made") / "site"
    shutil.copytree(HAND_MADE_SITE, site)
    subprocess.run([sys.executable, "-m", "pagefind", "--site", str(site)],
                   check=True, capture_output=True, timeout=120)
    return site


@pytest.fixture(scope="session")
def local_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The valid corpus built as every local build is: no base_url, repository or cname, through the public CLI."""
    project = tmp_path_factory.mktemp("no-base-url") / "project"
    shutil.copytree(VALID_CORPUS, project, symlinks=True)
    proc = subprocess.run([sys.executable, "-m", "srchgen", "build", "--no-search"], cwd=project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"local build failed:\n{proc.stdout}\n{proc.stderr}"
    return project / "site"


@pytest.fixture(scope="session")
def paged_site(site_root: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site whose index has seven pages, so its pager leaves pages out: the valid test
    corpus (14 records) built with page_size = 2 through the public CLI."""
    project = tmp_path_factory.mktemp("paged") / "project"
    shutil.copytree(VALID_CORPUS / "records", project / "records")
    text = (VALID_CORPUS / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.srchgen]" not in text:
        text += "\n[tool.srchgen]\n"
    text = re.sub(r"(?m)^page_size\s*=.*\n", "", text).replace("[tool.srchgen]\n", "[tool.srchgen]\npage_size = 2\n", 1)
    (project / "pyproject.toml").write_text(text, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "srchgen", "build", "--base-url", "https://example.org/repo/", "--no-search"],
                          cwd=project, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"paged build failed:\n{proc.stdout}\n{proc.stderr}"
    return project / "site"


@pytest.fixture(scope="session")
def paged_server(paged_site: Path, site_root: Path, request: pytest.FixtureRequest) -> Iterator[Served]:
    """`paged_site` served under /repo/ (the main server when it is the same site)."""
    if paged_site == site_root:
        yield request.getfixturevalue("site_server")
        return
    with serve_directory(paged_site) as served:
        yield served


@pytest.fixture(scope="session")
def site_server(site_root: Path) -> Iterator[Served]:
    """The site served on 127.0.0.1 under /repo/, as GitHub Pages serves a project site."""
    with serve_directory(site_root) as served:
        yield served


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[object]:
    """One headless Debian Chromium for the whole session, driven by Playwright."""
    require_tool(importlib.util.find_spec("playwright") is not None,
                 "Python package playwright is not installed (pinned in requirements.lock)")
    require_tool(CHROMIUM.is_file(), f"Chromium not found at {CHROMIUM} (Debian package chromium)")
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def axe_ready() -> None:
    """Skip (or fail under CI) when axe-core is not installed."""
    require_tool(AXE_JS.is_file(), "axe-core missing: node_modules/axe-core/axe.min.js (npm ci)")


@pytest.fixture(scope="session")
def vnu_all(site_root: Path, request: pytest.FixtureRequest) -> dict[Path, tuple[list[VnuMessage], int]]:
    """One Nu Html Checker run (one JVM) over the site under test and the broken fixture."""
    ok, why = vnu_available()
    require_tool(ok, why)
    return run_vnu(site_root, request.getfixturevalue("paged_site"), BROKEN_SITE)
