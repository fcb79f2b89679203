"""The record page's "Check it yourself" box with a signed evaluation (issue 25): Nu Html Checker
and axe-core find nothing, and the recipe does not make a phone scroll sideways.

The valid corpus the other browser tests build configures no gate_signers, so its pages show only
the unsigned box; this builds a registry with a signed evaluation (tests/gatekit.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.sitecheck import format_axe, page_url, require_tool, run_axe, run_vnu, serve_directory, vnu_available
from tests.gatekit import AT, HEX, RID, keygen, make_registry

pytestmark = pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")


@pytest.fixture(scope="module")
def signed_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("gatebox")
    keys = tmp / "keys"
    keys.mkdir()
    keygen(keys / "pipeline", "pipeline")
    root = make_registry(tmp / "reg", keys)
    # In subprocesses, as the other browser fixtures build: a build in this process would grow
    # pytest's memory, which tests/hostile measures with every build it forks from it.
    for args in (["gate", "record", RID, "--outcome", "passed", "--key", str(keys / "pipeline"), "--at", AT],
                 ["build", "--no-search"]):  # no base_url: the recipe's placeholder and its sentence
        p = subprocess.run([sys.executable, "-m", "srchgen", *args], cwd=root, capture_output=True, text=True, timeout=300)
        assert p.returncode == 0, p.stdout + p.stderr
    page = (root / "site" / "records" / HEX / "index.html").read_text()
    assert "ssh-keygen -Y verify" in page and "REPLACE-WITH-THIS-SITE" in page
    return root / "site"


def test_nu_html_checker_finds_no_error_in_the_signed_box(signed_site: Path) -> None:
    ok, why = vnu_available()
    require_tool(ok, why)
    messages, checked = run_vnu(signed_site)[signed_site.resolve()]
    assert checked > 1
    assert not messages, "\n".join(map(str, messages))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_and_phone_width_on_the_signed_box(chromium_browser, axe_ready, signed_site: Path, scheme: str) -> None:
    with serve_directory(signed_site) as served:
        url = page_url(served.base, f"records/{HEX}/index.html")
        context = chromium_browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme, is_mobile=True, bypass_csp=True)
        page = context.new_page()
        try:
            page.goto(url, wait_until="load")
            violations = run_axe(page)
            overflow = page.evaluate("() => document.documentElement.scrollWidth") - 390
        finally:
            context.close()
    assert not violations, f"axe on {url}:\n{format_axe(violations)}"
    assert overflow <= 0, f"the record page scrolls sideways by {overflow}px on a phone"
