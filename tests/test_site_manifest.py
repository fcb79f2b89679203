"""The site manifest (issue 25, item 3): manifest.json.gz lists every published file with its size
and SHA-256 and what the site was built from, and `srchgen verify --site` checks a site against it."""

from __future__ import annotations

import gzip
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from srchgen import __version__
from srchgen.cli.commands import main
from tests.test_budget import SIZE_LINE
from tests.test_verify import Server


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def manifest_of(site: Path) -> dict[str, Any]:
    return json.loads(gzip.decompress((site / "manifest.json.gz").read_bytes()))


def listed_files(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file() and p.name != "manifest.json.gz" and not p.relative_to(site).as_posix().startswith("pagefind/"))


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args], check=True, capture_output=True, text=True).stdout.strip()


def test_manifest_lists_every_file_with_size_and_sha256(tmp_project: Path) -> None:
    assert run("build", "--no-search").exit_code == 0
    site = tmp_project / "site"
    m = manifest_of(site)
    assert [f[0] for f in m["files"]] == listed_files(site)
    for path, size, digest in m["files"]:
        data = (site / path).read_bytes()
        assert (size, digest) == (len(data), hashlib.sha256(data).hexdigest()), path
    assert (m["format"], m["srchgen"], m["source"], m["lock"], m["excluded"]) == ("srchgen-site-manifest-v1", __version__, {"commit": None, "dirty": None}, None, ["pagefind/"])
    assert "jinja2=" in m["dependencies"]
    # deterministic: a clean build of the same inputs gives the same bytes
    first = (site / "manifest.json.gz").read_bytes()
    import shutil

    shutil.rmtree(site)
    shutil.rmtree(tmp_project / ".srchgen-cache", ignore_errors=True)
    assert run("build", "--no-search").exit_code == 0
    assert (site / "manifest.json.gz").read_bytes() == first


def test_incremental_build_keeps_manifest_and_size_line_true(tmp_project: Path) -> None:
    assert run("build", "--no-search").exit_code == 0
    record = next((tmp_project / "records").glob("*.md"))
    record.write_text(record.read_text().replace("\n---\n", "\n---\nAn added first sentence.\n\n", 1))
    r = run("build", "--no-search")
    assert r.exit_code == 0, r.output
    site = tmp_project / "site"
    assert [f[0] for f in manifest_of(site)["files"]] == listed_files(site)
    files = sum(1 for p in site.rglob("*") if p.is_file())
    line = SIZE_LINE.search(r.stdout)
    assert line and f"site/: {files:,} files" in line.group(0), r.stdout
    assert run("verify", "--site", "site").exit_code == 0


def test_commit_dirty_and_lock_from_git(tmp_project: Path) -> None:
    (tmp_project / ".gitignore").write_text("site/\n.srchgen-cache/\n")
    (tmp_project / "requirements.lock").write_text("jinja2==3.1.6\n")
    git(tmp_project, "init", "-q", "-b", "main")
    git(tmp_project, "add", "-A")
    git(tmp_project, "commit", "-q", "-m", "registry")
    assert run("build", "--no-search").exit_code == 0
    m = manifest_of(tmp_project / "site")
    assert m["source"] == {"commit": git(tmp_project, "rev-parse", "HEAD"), "dirty": False}
    assert m["lock"] == {"path": "requirements.lock", "sha256": hashlib.sha256(b"jinja2==3.1.6\n").hexdigest()}
    record = next((tmp_project / "records").glob("*.md"))
    record.write_text(record.read_text() + "\nOne more line.\n")
    assert run("build", "--no-search").exit_code == 0
    assert manifest_of(tmp_project / "site")["source"]["dirty"] is True


def test_a_new_commit_alone_updates_the_manifest(tmp_project: Path) -> None:
    (tmp_project / ".gitignore").write_text("site/\n.srchgen-cache/\n")
    git(tmp_project, "init", "-q", "-b", "main")
    git(tmp_project, "add", "-A")
    git(tmp_project, "commit", "-q", "-m", "registry")
    assert run("build", "--no-search").exit_code == 0
    (tmp_project / "NOTES.txt").write_text("not an input of the site\n")
    git(tmp_project, "add", "-A")
    git(tmp_project, "commit", "-q", "-m", "notes")
    before = {p: p.read_bytes() for p in (tmp_project / "site").rglob("*") if p.is_file() and p.name != "manifest.json.gz"}
    r = run("build", "--no-search")
    assert r.exit_code == 0, r.output
    assert manifest_of(tmp_project / "site")["source"] == {"commit": git(tmp_project, "rev-parse", "HEAD"), "dirty": False}
    assert {p: p.read_bytes() for p in (tmp_project / "site").rglob("*") if p.is_file() and p.name != "manifest.json.gz"} == before
    assert run("verify", "--site", "site").exit_code == 0


def test_verify_site_finds_a_changed_byte_and_a_missing_file(tmp_project: Path) -> None:
    assert run("build", "--no-search").exit_code == 0
    server = Server()
    try:
        server.root = tmp_project / "site"
        r = run("verify", "--site", server.url)
        assert r.exit_code == 0, r.output
        total = len(manifest_of(tmp_project / "site")["files"])
        assert r.stdout.splitlines()[-1] == f"site: {total} files checked: all match the manifest"
        page = tmp_project / "site" / "about" / "index.html"
        data = bytearray(page.read_bytes())
        data[100] ^= 1  # one changed byte
        page.write_bytes(bytes(data))
        (tmp_project / "site" / "feed.json").unlink()
        r = run("verify", "--site", server.url)
        assert r.exit_code == 1
        out = r.stdout.splitlines()
        assert "missing: feed.json" in out
        assert any(line.startswith("changed: about/index.html (size ") for line in out), out
        assert out[-1] == f"site: {total} files checked: 2 problems"
        r = run("verify", "--site", server.url, "--sample", "3")
        assert r.stdout.splitlines()[-1].startswith(f"site: 3 of {total} files (a random sample) checked: ")
    finally:
        server.close()
    # a folder is also checked for files the manifest does not list
    (tmp_project / "site" / "extra.html").write_text("<p>planted</p>")
    r = run("verify", "--site", "site")
    assert r.exit_code == 1 and "not in the manifest: extra.html" in r.stdout


def test_verify_site_without_a_manifest(tmp_path: Path) -> None:
    r = run("verify", "--site", str(tmp_path))
    assert r.exit_code == 1
    assert r.stderr.strip() == f"srchgen verify: {tmp_path}: no manifest.json.gz (srchgen writes one with every build since issue 25)"


def _committed_site(root: Path) -> Path:
    """`root` (a registry) committed to git and built as the Pages workflow builds it: the
    commit's date as the reference date, a base URL. Returns the site."""
    import os

    (root / ".gitignore").write_text("/site/\n/.srchgen-cache/\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    env = {**os.environ, "GIT_AUTHOR_DATE": "2026-12-01T12:00:00Z", "GIT_COMMITTER_DATE": "2026-12-01T12:00:00Z"}
    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "records"], check=True, env=env)
    env["SOURCE_DATE_EPOCH"] = git(root, "log", "-1", "--format=%ct")
    import sys

    subprocess.run([sys.executable, "-m", "srchgen", "build", "--no-search", "--base-url", "https://example.org/reg/"], cwd=root, env=env, check=True, capture_output=True)
    return root / "site"


def test_rebuild_reproduces_the_site_from_its_commit_and_finds_a_forged_page(tmp_project: Path, tmp_path: Path) -> None:
    """--rebuild clones the repository, builds the manifest's commit and compares byte for byte:
    the honest site is reproduced exactly; a page changed by the host, with the manifest rewritten
    to match it (so --site alone finds nothing), is named."""
    site = _committed_site(tmp_project)
    assert manifest_of(site)["source"] == {"commit": git(tmp_project, "rev-parse", "HEAD"), "dirty": False}
    # the site as a host serves it: a copy, away from the repository
    import shutil

    served = tmp_path / "served"
    shutil.copytree(site, served)
    result = run("verify", "--site", str(served), "--rebuild", str(tmp_project))
    assert result.exit_code == 0, result.output
    assert "the site is the commit's build, byte for byte" in result.output

    page = next(served.glob("records/*/index.html"))
    rel = page.relative_to(served).as_posix()
    page.write_bytes(page.read_bytes().replace(b"</h1>", b" (Verified)</h1>", 1))
    m = manifest_of(served)
    m["files"] = [[p, len((served / p).read_bytes()), hashlib.sha256((served / p).read_bytes()).hexdigest()] if p == rel else [p, n, h] for p, n, h in m["files"]]
    (served / "manifest.json.gz").write_bytes(gzip.compress(json.dumps(m).encode()))
    assert run("verify", "--site", str(served)).exit_code == 0  # the forged manifest agrees with the forged page
    result = run("verify", "--site", str(served), "--rebuild", str(tmp_project))
    assert result.exit_code == 1
    assert f"differs from the rebuild: {rel}" in result.output and "1 differ" in result.output


def test_rebuild_needs_a_commit_and_a_repository_that_has_it(tmp_project: Path, tmp_path: Path) -> None:
    assert run("build", "--no-search").exit_code == 0  # not in git: the manifest names no commit
    result = run("verify", "--site", "site", "--rebuild", str(tmp_project))
    assert result.exit_code == 1 and "names no git commit" in result.output
    site = _committed_site(tmp_project)
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "-q")
    git(other, "commit", "-q", "--allow-empty", "-m", "unrelated")
    result = run("verify", "--site", str(site), "--rebuild", str(other))
    assert result.exit_code == 1 and "has no commit" in result.output
    assert run("verify", "--rebuild", str(other)).exit_code == 2  # --rebuild needs --site
