"""`srchgen verify`: re-check a published (or local) site's Gate 2 verdicts without trusting it (issue 25).

How it finds what to check: the site's data export (`records.json.gz`, SPEC §4) lists every
record with its manifest and derived fields. A record is *gated* when it has a `gate_evaluation`
or the export or its page claims a status only an evaluation gives (Verified, Failed); for each
one its page, signed text, signature and artifacts are fetched, plus the registry-wide
`gate/allowed_signers` once, and gate/published.py judges it. Named ids are always checked,
their pages fetched even when the export calls them ungated (a page that claims Verified on
its own). HTTP with the standard library's urllib only; a folder is read from disk, never
outside it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path
from typing import Any, NoReturn

import click

from srchgen.build import attest

_TIMEOUT_S = 30.0
EXPORT = "records.json.gz"  # render.routes.RECORDS_JSON


class SiteError(Exception):
    """The site cannot be read at all (unreachable, no data export): one line, exit 1."""


class Site:
    """A site's files by path, from a URL (urllib) or a folder; `get` is None for a file it lacks."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.url = where if urllib.parse.urlsplit(where).scheme in ("http", "https") else None
        if self.url is not None:
            self.url = self.url if self.url.endswith("/") else self.url + "/"
            self.root = Path()
        else:
            self.root = Path(where)
            if not self.root.is_dir():
                raise SiteError(f"{where} is neither an http(s) URL nor a folder")

    def get(self, path: str) -> bytes | None:
        if self.url is not None:
            return self._http(self.url + urllib.parse.quote(path))
        target = (self.root / path).resolve()
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            return None
        try:
            return target.read_bytes()
        except OSError as e:
            raise SiteError(f"cannot read {target}: {e.strerror}") from None

    def _http(self, url: str) -> bytes | None:
        import urllib.error
        import urllib.request  # here: it loads ssl and http.client, which every other command would pay for

        req = urllib.request.Request(url, headers={"User-Agent": "srchgen-verify", "Accept-Encoding": "identity"})
        try:
            with urllib.request.urlopen(req, timeout=_TIMEOUT_S) as resp:  # noqa: S310 (http and https only, checked above)
                data: bytes = resp.read()
                return data
        except urllib.error.HTTPError as e:
            if e.code in (404, 410):
                return None
            raise SiteError(f"cannot read {url}: HTTP {e.code} {e.reason}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", None) or e
            raise SiteError(f"cannot reach {url}: {reason}") from None


def load_export(site: Site) -> list[dict[str, Any]]:
    """Every record of the site's data export; SiteError when it is missing or unreadable."""
    data = site.get(EXPORT)
    if data is None:
        raise SiteError(f"{site.where}: no {EXPORT} (the data export srchgen publishes); is this a srchgen site?")
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        records = json.loads(data)["records"]
        for r in records:
            _ = r["manifest"]["id"], r["derived"]
    except (OSError, ValueError, KeyError, TypeError, EOFError):
        raise SiteError(f"{site.where}: {EXPORT} is not a srchgen data export") from None
    return list(records)


@click.command("verify")
@click.argument("site", metavar="[URL|DIR]", required=False)
@click.argument("record_ids", nargs=-1, metavar="[ID]...")
@click.option("--signers", metavar="FILE", type=click.Path(exists=True, dir_okay=False), help="Check signatures against this allowed_signers file (one you trust, e.g. from the registry's repository) instead of the site's own gate/allowed_signers.")
@click.option("--site", "whole", metavar="URL|DIR", help="Check every published file against the site's manifest.json.gz (path, size, SHA-256).")
@click.option("--sample", type=click.IntRange(min=1), metavar="N", help="With --site: check N files picked at random instead of all.")
@click.option("--rebuild", "repository", metavar="REPO", help="With --site: clone REPO (a git URL or folder), build the commit the manifest names, and compare the result with the manifest byte for byte.")
def verify_cmd(site: str | None, record_ids: tuple[str, ...], signers: str | None, whole: str | None, sample: int | None, repository: str | None) -> None:
    """Re-check a site without trusting it: each gated record's signed evaluation with
    ssh-keygen -Y verify, its artifacts hashed again, and what its page claims; with --site,
    every file against the site's manifest; with --rebuild, the manifest's commit rebuilt from a
    clone of the registry and compared with it byte for byte.

    Reports every gated record as verified, failed (with why) or unsigned; exit 1 when any
    record or file failed, or the site cannot be read.
    """
    if site is None and whole is None:
        raise click.UsageError("give the site to check: srchgen verify URL|DIR [ID]..., or srchgen verify --site URL|DIR")
    if (sample is not None or repository is not None) and whole is None:
        raise click.UsageError("--sample and --rebuild need --site")
    if (record_ids or signers) and site is None:
        raise click.UsageError("record ids and --signers need the site: srchgen verify URL|DIR [ID]...")
    failed = False
    if whole is not None:
        failed |= _verify_files(whole, sample)
    if whole is not None and repository is not None:
        lines, differs = rebuild_lines(whole, repository)
        for line in lines:
            click.echo(line, err=line.startswith("srchgen verify:"))
        failed |= differs
    if site is not None:
        failed |= _verify_gate(site, record_ids, signers)
    if failed:
        sys.exit(1)


def _fail(message: str) -> NoReturn:
    click.echo(f"srchgen verify: {message}", err=True)
    sys.exit(1)


def _verify_files(where: str, sample: int | None) -> bool:
    """Every file (or a random sample) against manifest.json.gz; True when any differs."""
    try:
        lines, failed = check_files(Site(where), sample)
    except SiteError as e:
        _fail(str(e))
    for line in lines:
        click.echo(line)
    return failed


def _verify_gate(site: str, record_ids: tuple[str, ...], signers: str | None) -> bool:
    """The Gate 2 check of each gated record; True when any failed."""
    from srchgen.gate.published import GATE_SIGNERS, check_record, is_gated, select, signers_of
    from srchgen.gate.sig import GateSigError

    fail = _fail
    allowed = None
    results: list[Any] = []
    chosen: list[dict[str, Any]] = []
    unknown: list[str] = []
    try:
        s = Site(site)
        records = load_export(s)
        chosen, unknown = select(records, record_ids)
        signers_text = Path(signers).read_bytes() if signers else s.get(GATE_SIGNERS)
        where = Path(signers) if signers else Path(GATE_SIGNERS)
        allowed = signers_of(signers_text, where) if signers_text is not None else None
        for rec in chosen:
            hex_id = str(rec["manifest"]["id"]).removeprefix("SRCH:")
            page = s.get(f"records/{hex_id}/index.html") if record_ids or is_gated(rec) else None
            if is_gated(rec, page):
                results.append(check_record(rec, s.get, allowed, page))
    except SiteError as e:
        fail(str(e))
    except GateSigError as e:  # a malformed signers file, or no ssh-keygen
        fail(str(e))
    if signers is None and allowed is not None:
        keys = ", ".join(sorted({f"{e.principal} {_fp(e.key_blob)}" for e in allowed.entries}))
        click.echo(f"signers: the site's own {GATE_SIGNERS} ({keys}); compare them with the registry's, or pass --signers FILE")
    for r in results:
        click.echo(f"{r.record_id}: {r.status}: {r.detail}")
    for rid in unknown:
        click.echo(f"SRCH:{rid.removeprefix('SRCH:')}: failed: not in the site's data export")
    counts = {k: sum(r.status == k for r in results) for k in ("verified", "failed", "unsigned")}
    counts["failed"] += len(unknown)
    rest = len(chosen) - len(results)
    click.echo(f"{counts['verified']} verified, {counts['failed']} failed, {counts['unsigned']} unsigned; {rest} record{'s' if rest != 1 else ''} without a Gate 2 evaluation")
    return bool(counts["failed"])


MANIFEST = "manifest.json.gz"  # render.routes.SITE_MANIFEST (build/attest.py writes it)
MANIFEST_FORMAT = "srchgen-site-manifest-v1"


def load_manifest(site: Site) -> dict[str, Any]:
    """The site's manifest; SiteError when it is missing or not one."""
    data = site.get(MANIFEST)
    if data is None:
        raise SiteError(f"{site.where}: no {MANIFEST} (srchgen writes one with every build since issue 25)")
    try:
        doc = json.loads(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)
        if doc.get("format") != MANIFEST_FORMAT:
            raise ValueError
        files = [(str(p), int(n), str(h)) for p, n, h in doc["files"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, EOFError):
        raise SiteError(f"{site.where}: {MANIFEST} is not a {MANIFEST_FORMAT} manifest") from None
    doc["files"] = files
    return dict(doc)


def _check_one(site: Site, row: tuple[str, int, str]) -> str | None:
    """Why one file differs from its manifest row, None when it matches."""
    path, size, digest = row
    data = site.get(path)
    if data is None:
        return f"missing: {path}"
    got = hashlib.sha256(data).hexdigest()
    if len(data) != size or got != digest:
        return f"changed: {path} (size {len(data)}, SHA-256 {got}; the manifest says size {size}, SHA-256 {digest})"
    return None


def check_files(site: Site, sample: int | None) -> tuple[list[str], bool]:
    """Output lines and whether anything failed: every file of the manifest (or a random
    sample) fetched and hashed; for a folder, also files the manifest does not list."""
    import random
    from concurrent.futures import ThreadPoolExecutor

    doc = load_manifest(site)
    rows: list[tuple[str, int, str]] = doc["files"]
    src = doc.get("source") or {}
    commit = src.get("commit")
    origin = f"commit {commit}" + (" with uncommitted changes" if src.get("dirty") else "") if commit else "no git commit"
    lock = (doc.get("lock") or {}).get("sha256")
    lines = [f"manifest: {len(rows)} files, built by srchgen {doc.get('srchgen')} from {origin}; lock {('sha256 ' + lock) if lock else 'none'}"]
    todo = rows if sample is None or sample >= len(rows) else random.SystemRandom().sample(rows, sample)
    workers = 1 if site.url is None else 8  # over HTTP, a few requests in flight
    with ThreadPoolExecutor(max_workers=workers) as pool:
        problems = [p for p in pool.map(lambda r: _check_one(site, r), todo) if p is not None]
    if site.url is None:
        listed = {p for p, _, _ in rows}
        excluded = tuple(doc.get("excluded") or ())
        for f in sorted(site.root.rglob("*")):
            rel = f.relative_to(site.root).as_posix()
            if f.is_file() and rel != MANIFEST and not rel.startswith(excluded) and rel not in listed:
                problems.append(f"not in the manifest: {rel}")
    lines += problems
    what = f"{len(todo)} of {len(rows)} files (a random sample)" if len(todo) < len(rows) else f"{len(rows)} files"
    lines.append(f"site: {what} checked: " + (f"{len(problems)} problem{'s' if len(problems) != 1 else ''}" if problems else "all match the manifest"))
    return lines, bool(problems)


def _fp(blob: bytes) -> str:
    from srchgen.gate.sig import fingerprint

    return fingerprint(blob)


# --- --rebuild (issue 25): rebuild the commit a site's manifest names, from a fresh clone of the
# registry's repository, and compare the result with the manifest byte for byte (path, size,
# SHA-256 of every file; Pagefind's index is outside the manifest). The build is deterministic
# (SPEC §7), so a site that came from its commit is reproduced exactly when the rebuild uses what
# the published one did: the same base URL (read from the site's own canonical link), reference
# date (the commit's date, as the Pages workflow sets SOURCE_DATE_EPOCH) and srchgen (a different
# one is named in the report, since its pages may differ for that reason alone).

_CANONICAL = re.compile(rb'<link rel="canonical" href="([^"]+)"')


class RebuildError(Exception):
    """The commit cannot be rebuilt (no commit named, clone or checkout failed, the build failed): one line."""


def base_url_of(site: Site) -> str | None:
    """The base URL the site was built with: its index page's canonical link, less `index.html`
    (None when it has none: a site built without base_url)."""
    page = site.get("index.html")
    m = _CANONICAL.search(page or b"")
    if m is None:
        return None
    url = m.group(1).decode("utf-8", "replace")
    return url.removesuffix("index.html")


def _run(args: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=3600, check=False)


def rebuild(site: Site, repository: str) -> tuple[list[str], bool]:
    """Output lines and whether anything differs: the manifest's commit cloned from `repository`,
    built, and every file of the result compared with the site's manifest."""
    doc = load_manifest(site)
    source: dict[str, Any] = doc.get("source") or {}
    commit = source.get("commit")
    if not commit:
        raise RebuildError(f"{site.where}: its manifest names no git commit (the site was not built from a repository)")
    lines = [f"rebuilding commit {commit} of {repository}"]
    if source.get("dirty"):
        lines.append("note: the site was built from files that differed from that commit; the rebuild cannot match them")
    from srchgen import __version__

    if doc.get("srchgen") != __version__:
        lines.append(f"note: the site was built by srchgen {doc.get('srchgen')}, this is {__version__}: pages may differ for that reason alone")
    base = base_url_of(site)
    with tempfile.TemporaryDirectory(prefix="srchgen-rebuild-") as tmp:
        clone = Path(tmp) / "registry"
        # full history: each record page lists its file's changes from git
        got = _run(["git", "clone", "--quiet", "--no-checkout", repository, str(clone)])
        if got.returncode != 0:
            raise RebuildError(f"cannot clone {repository}: {got.stderr.strip().splitlines()[-1] if got.stderr.strip() else 'git clone failed'}")
        got = _run(["git", "-C", str(clone), "checkout", "--quiet", commit])
        if got.returncode != 0:
            raise RebuildError(f"{repository} has no commit {commit}")
        when = _run(["git", "-C", str(clone), "log", "-1", "--format=%ct", commit]).stdout.strip()
        env = {**os.environ, "SOURCE_DATE_EPOCH": when}
        cmd = [sys.executable, "-m", "srchgen", "build", "--no-search", "--out", "site"] + (["--base-url", base] if base else [])
        built = _run(cmd, cwd=clone, env=env)
        if built.returncode != 0:
            last = (built.stderr.strip() or built.stdout.strip() or "srchgen build failed").splitlines()[-1]
            raise RebuildError(f"the rebuild of {commit} failed: {last}")
        problems = compare(doc["files"], clone / "site")
    lines += problems
    n = len(doc["files"])
    lines.append(f"rebuild: {n} files compared: " + (f"{len(problems)} differ" if problems else "the site is the commit's build, byte for byte"))
    return lines, bool(problems)


def compare(rows: list[tuple[str, int, str]], tree: Path) -> list[str]:
    """How the built `tree` differs from the manifest's rows (every file but the excluded search index)."""
    listed = {path: (size, digest) for path, size, digest in rows}
    out: list[str] = []
    built = dict(attest.site_files(tree))
    for path, (size, digest) in sorted(listed.items()):
        real = built.get(path)
        if real is None:
            out.append(f"not in the rebuild: {path}")
            continue
        data = Path(real).read_bytes()
        if len(data) != size or hashlib.sha256(data).hexdigest() != digest:
            out.append(f"differs from the rebuild: {path}")
    out += [f"only in the rebuild: {path}" for path in sorted(set(built) - set(listed))]
    return out


def rebuild_lines(where: str, repository: str) -> tuple[list[str], bool]:
    """rebuild() for the CLI: its errors as one line each."""
    try:
        return rebuild(Site(where), repository)
    except (SiteError, RebuildError) as e:
        return [f"srchgen verify: {e}"], True
