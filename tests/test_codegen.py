"""srchgen/codegen.py's FastCodeGenerator compiles the templates to code that renders what
Jinja's own code generator renders, byte for byte (issue 22).

Every build below runs with `compared`: each record page, row, Atom entry, related-records
section, listing page, feed and every other page is rendered by the build (FastCodeGenerator)
and again from the same templates compiled by Jinja's own CodeGenerator, marks and all, and the
bytes must be equal. tests/unit/test_codegen_nodes.py does the same for each kind of template
construct on its own. A registry's own templates are compiled the same way.
"""

from __future__ import annotations

import difflib
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jinja2
import jinja2.meta
import pytest

from srchgen.build.pipeline import build
from srchgen.render import codegen
from srchgen.config import Config
from srchgen.render.render import Output, Renderer
from srchgen.render.templates import Templates, theme_dir
from tests.conftest import CORPUS, REPO, manifest, project_for, write_record
from tests.gatekit import AT, RID, cli, make_registry
from tests.hostile.cases import SAFE, numbered
from tests.test_citations import NASTY_PUBLISHER, NASTY_TITLE
from tests.test_determinism import _records as determinism_records
from tests.test_git_history import repo  # noqa: F401  (fixture: a registry with three commits)
from tests.test_incremental import EDITS

EVERYTHING = {
    "base_url": "https://example.org/repo/",
    "license": "CC-BY-4.0",
    "repository": "https://github.com/org/registry",
    "cname": "registry.example.org",
}
CONFIGS = {
    "plain": {},
    "base_url": {"base_url": "https://org.github.io/registry/"},
    "repository": {"repository": "https://github.com/org/registry", "title": "R&D <Registry> \"quoted\" 'single'"},
    "everything": EVERYTHING,
    "paged": {"page_size": 2},  # pagers: previous, next, gaps (render.pager_window)
}


KINDS = (  # what is compared: the Renderer methods that render templates
    "record_page_unlinked",  # record.html (base.html, _cite.html) with _history.html
    "listing_row",  # _row.html
    "atom_entry",  # _atom_entry.xml
    "fill_related",  # the page finished: _related.html, duplicate abstracts, navigation
    "listing_page",  # listing.html: every page of every listing (not one per record)
    "atom",  # feed.atom around its entries (once a build)
    "simple",  # every other page: about, guide, topics, statistics, graph, search, 404
)
ONCE = ("listing_page", "atom", "simple")  # compared per page or per build, not per record


class Compared:
    """Every page and part a build rendered, both ways: (kind, key, Jinja's bytes, FastCodeGenerator's)."""

    def __init__(self) -> None:
        self.pages: list[tuple[str, str, bytes, bytes]] = []
        self.text = ""  # every record page checked so far, for asserting what the pages covered

    def check(self, records: int) -> int:
        """Fail on the first difference; return how many record pages were compared."""
        for kind in KINDS:
            n = sum(k == kind for k, _, _, _ in self.pages)
            if kind not in ONCE:  # a clean build's listings are counted in build_both_ways
                assert n == records, f"{n} of {kind} compared, {records} records"
            elif kind == "atom":  # every build remakes the feeds
                assert n == 1, f"feed.atom compared {n} times"
        for kind, hex_id, jinja_bytes, fast_bytes in self.pages:
            if jinja_bytes != fast_bytes:
                diff = difflib.unified_diff(
                    jinja_bytes.decode().splitlines(), fast_bytes.decode().splitlines(), "jinja", "codegen", lineterm="", n=1
                )
                pytest.fail(f"{kind} of {hex_id} differs:\n" + "\n".join(list(diff)[:40]))
        self.text += "".join(page.decode() for kind, _, page, _ in self.pages if kind == "record_page_unlinked")
        self.pages.clear()
        return records


def _bytes(made: Any) -> bytes:
    """A method's result as bytes: a page's, or an Output's (a listing page, the Atom feed)."""
    return b"".join(made.pieces()) if isinstance(made, Output) else made


def _twin(r: Renderer) -> tuple[Templates, dict[str, Any]]:
    """The renderer's templates compiled by Jinja's own code generator (made once per renderer)."""
    twin = r.__dict__.get("_test_twin")
    if twin is None:
        assert r.templates.fast and r.env.code_generator_class is codegen.FastCodeGenerator, "the build does not use FastCodeGenerator"
        twin = r.__dict__["_test_twin"] = (Templates(r.templates.project, None, r.templates.globals, fast=False), {})
        assert twin[0].env.code_generator_class is jinja2.compiler.CodeGenerator
    return twin


@pytest.fixture
def compared(monkeypatch: pytest.MonkeyPatch) -> Compared:
    seen = Compared()

    def both_ways(kind: str) -> Any:
        real = getattr(Renderer, kind)

        def render(self: Renderer, item: Any, *args: Any, **kwargs: Any) -> bytes:
            fast_bytes = real(self, item, *args, **kwargs)
            saved = self.templates, self._templates
            self.templates, self._templates = _twin(self)
            try:
                jinja_bytes = real(self, item, *args, **kwargs)
            finally:
                self.templates, self._templates = saved
            key = (
                args[0] if kind == "fill_related" else f"{item.base}page {args[0]}" if kind == "listing_page" else "feed" if kind == "atom"
                else f"{item}:{args[0]}" if kind == "simple" else item.hex
            )
            seen.pages.append((kind, key, _bytes(jinja_bytes), _bytes(fast_bytes)))
            return fast_bytes

        return render

    for kind in KINDS:
        monkeypatch.setattr(Renderer, kind, both_ways(kind))
    return seen


def build_both_ways(root: Path, compared: Compared, name: str = "site", **config: Any) -> int:
    """Build root into its own folder (a clean build: every page rendered) and compare every page."""
    report = build(project_for(root, out=root / name, **config), search=False)
    assert not report.errors, [str(p) for p in report.errors]
    listings = [k for kind, k, _, _ in compared.pages if kind == "listing_page"]
    assert len(listings) == len(set(listings)) == len(list((root / name).glob("**/index.html"))) - len(list((root / name).glob("records/*/index.html"))) - 6
    return compared.check(len(list((root / "records").glob("*.md"))))


# --- the corpora ---------------------------------------------------------------------------------


def _corpus_valid(root: Path) -> None:
    shutil.copytree(CORPUS / "valid", root, symlinks=True, dirs_exist_ok=True)


def _shipped(root: Path) -> None:
    shutil.copytree(REPO / "records", root / "records")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")


def _hostile_safe(root: Path) -> None:
    """Every combinable safe case of tests/hostile: script, markup and Jinja syntax in every field."""
    for hex_id, case in numbered():
        if case.outcome == SAFE and case.combinable:
            case.setup(root / "records", hex_id)


def _unicode(root: Path) -> None:
    """tests/test_determinism.py's registry: every field kind, Unicode, markup in titles, related links."""
    determinism_records(root / "records", reverse=False)


CORPORA = {"corpus-valid": _corpus_valid, "shipped-records": _shipped, "hostile-safe": _hostile_safe, "unicode": _unicode}


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
@pytest.mark.parametrize("corpus", list(CORPORA), ids=list(CORPORA))
def test_every_valid_corpus_renders_the_same_both_ways(tmp_path: Path, compared: Compared, corpus: str, config: str) -> None:
    root = tmp_path / "project"
    root.mkdir()
    CORPORA[corpus](root)
    assert build_both_ways(root, compared, **CONFIGS[config]) >= 5


# --- every kind of field -------------------------------------------------------------------------

CORRECTION_TYPES = [
    "addendum", "clarification", "correction", "corrigendum", "erratum",
    "expression-of-concern", "partial-retraction", "retraction", "withdrawal",
]  # and a reinstatement, which must follow a retraction or withdrawal: below
ABSTRACT = "A short abstract about the test harness building a record.\n"


def _artifact(records: Path, hex_id: str, name: str, text: str, kind: str) -> dict[str, str]:
    folder = records / hex_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return {"kind": kind, "path": f"{hex_id}/{name}", "sha256": hashlib.sha256(text.encode()).hexdigest()}


def _variations(records: Path) -> int:
    """One record per variation of the page's fields, written with the suite's own record helpers."""
    n = 0

    def add(body: str | None = None, **changes: Any) -> None:
        nonlocal n
        n += 1
        write_record(records, manifest(id=f"SRCH:F{n:07X}", **changes), body)

    def hex_next() -> str:
        return f"F{n + 1:07X}"

    add()  # no DOI, no topics, no report URL, CURRENT
    add(doi="10.5281/zenodo.123", topics=["x-y", "mixture-of-experts"], title="A short title", note="A note <b>of its own</b> & more")
    add(report_url="https://example.org/report.PDF?dl=1&x=<y>", claims={"source_grounded": 7, "record_source": "https://example.org/claims?a=1&b=2"})
    add(report_url="https://example.org/report.html#part", report_artifact=True, registered=True)
    add(report_artifact=False, claims={"source_grounded": 0}, review={"score": 4.99})
    add(review={"score": 9.5}, section="benchmarks", submitted="2026-05-01")  # before the gate was activated
    add(section="mathematics", review={"score": 5.0})  # no review method
    add(title=NASTY_TITLE, publisher=NASTY_PUBLISHER, doi="10.1234/ab_c(1)", topics=["x-y"])
    add(research_question="Does </script><script>alert(1)</script> & \"quotes\" 'apostrophes' end the JSON-LD?", publisher="Ünïcødé Lab — 東京")
    add(body="Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich…\n")  # cut short; unrelated to the question
    add(body=ABSTRACT + "\n## Limitations\n\nSome, with <em>markup</em> & a [link](https://example.org).\n")
    for t in CORRECTION_TYPES:
        add(corrections=[{"date": "2026-07-02", "type": t, "summary": f"A {t}: 1 < 2 & 'quoted' — ü."}])
    add(corrections=[
        {"date": "2026-07-02", "type": "retraction", "summary": "Retracted."},
        {"date": "2026-07-03", "type": "reinstatement", "summary": "Reinstated."},
        {"date": "2026-07-04", "type": "erratum", "summary": "A figure."},
    ])
    add(corrections=[
        {"date": "2026-07-02", "type": "withdrawal", "summary": "Withdrawn."},
        {"date": "2026-07-03", "type": "reinstatement", "summary": "Reinstated."},
    ])
    add(body="The same abstract in two records, about the test harness building a record.\n")
    add(body="The same abstract in two records, about the test harness building a record.\n", related=[f"SRCH:F{n:07X}"])
    # Artifacts and Gate 2 without gate_signers: every evaluation is shown unsigned.
    h = hex_next()
    add(artifacts=[_artifact(records, h, "Proof.lean", "theorem t : 1 = 1 := rfl\n", "lean4-proof")])  # pending
    h = hex_next()
    add(artifacts=[_artifact(records, h, "repro.py", "print(1)\n", "repro-script")])  # results missing
    h = hex_next()
    add(artifacts=[_artifact(records, h, "results & notes.txt", "1\n", "repro-results")])  # script missing
    for outcome, stamp in (("passed", "2026-07-02T10:00:00Z"), ("failed", "2026-07-01T23:30:00-05:00")):
        h = hex_next()
        arts = [_artifact(records, h, "repro.py", "print(1)\n", "repro-script"), _artifact(records, h, "run.html", "<p>1</p>\n", "repro-results")]
        add(artifacts=arts, gate_evaluation={"evaluated": stamp, "outcome": outcome, "artifact_sha256": [a["sha256"] for a in arts]})
    h = hex_next()
    arts = [_artifact(records, h, "Proof.lean", "theorem t : 2 = 2 := rfl\n", "lean4-proof")]
    add(artifacts=arts, gate_evaluation={"evaluated": "2026-07-02T10:00:00Z", "outcome": "passed", "artifact_sha256": ["0" * 64]})  # changed since
    h = hex_next()
    arts = [_artifact(records, h, "Proof.lean", "theorem t : 3 = 3 := rfl\n", "lean4-proof")]
    add(artifacts=arts, gate_evaluation={"evaluated": "2026-07-02T10:00:00Z", "outcome": "passed", "artifact_sha256": [arts[0]["sha256"]],
                                         "signature": "-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n"})
    return n


@pytest.mark.parametrize("config", list(CONFIGS), ids=list(CONFIGS))
def test_every_field_variation_renders_the_same_both_ways(tmp_path: Path, compared: Compared, config: str) -> None:
    root = tmp_path / "variations"
    n = _variations(root / "records")
    assert build_both_ways(root, compared, **CONFIGS[config]) == n
    for shown in (
        *(f'class="badge gate-{g}"' for g in ("verified", "pending", "failed", "unverified")),
        *(f"Correction status: <strong>{s}</strong>" for s in ("RETRACTED", "WITHDRAWN", "PARTIALLY RETRACTED", "EXPRESSION OF CONCERN",
                                                              "REINSTATED", "CORRECTED", "UPDATED")),
        "Unsigned: the evaluation carries no signature", "Unsigned: this registry configures no gate signers",
        "re-evaluation required", "Abstract may not address the question", "Abstract cut short in its source",
        "\x00srchgen:dupes-row\x00", "Report (PDF)", 'type="application/pdf"', "Attached artifacts", "run.html.txt",
        "not publicly specified", "Not available", 'class="prose body-sections"', "&lt;/script&gt;", "東京",
    ):
        assert shown in compared.text, shown
    site = "".join(p.read_text(encoding="utf-8") for p in (root / "site" / "records").glob("*/index.html"))
    assert "Same abstract as another record" in site and "\x00" not in site  # the marks were filled
    assert '<ul class="related">' in site and "<p>No related records.</p>" in site  # fill_related compared with and without


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="ssh-keygen (openssh-client) is not installed")
@pytest.mark.parametrize("outcome", ["passed", "failed"])
def test_signed_evaluations_render_the_same_both_ways(tmp_path: Path, keys: Path, compared: Compared, outcome: str, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_registry(tmp_path / "reg", keys)
    monkeypatch.chdir(root)
    r = cli("gate", "record", RID, "--outcome", outcome, "--key", str(keys / "pipeline"), "--at", AT)
    assert r.exit_code == 0, r.output
    compared.pages.clear()
    assert build_both_ways(root, compared, "site-a") == 1
    assert build_both_ways(root, compared, "site-b", **EVERYTHING) == 1
    assert compared.text.count("<tr><th>Signature</th><td>Signed by gate@srch.example (key SHA256:") == 2


def test_history_from_git_renders_the_same_both_ways(repo: Path, compared: Compared) -> None:  # noqa: F811
    assert build_both_ways(repo, compared, "site-with-repository") == 1  # commit links
    (repo / "pyproject.toml").write_text('[tool.srchgen]\ntitle = "T"\n', encoding="utf-8")
    assert build_both_ways(repo, compared, "site-without") == 1  # commits without links


def test_a_record_edited_in_place_renders_the_same_both_ways(tmp_project: Path, compared: Compared) -> None:
    """An edit build (build.edit_in_place) renders the edited record with every section known:
    its navigation has no marks to fill, unlike a clean build's pages."""
    assert build_both_ways(tmp_project, compared) == 14
    EDITS["abstract"](tmp_project)
    report = build(project_for(tmp_project), search=False)
    assert not report.errors and report.reused == 13
    assert compared.check(1) == 1
    assert "\x00srchgen:nav" not in compared.text.split("<!DOCTYPE html>")[-1]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_registries_render_the_same_both_ways(tmp_path: Path, compared: Compared, seed: int) -> None:
    root = tmp_path / f"gen{seed}"
    subprocess.run([sys.executable, str(REPO / "bench" / "gen_registry.py"), "300", str(root), "--seed", str(seed)], check=True, capture_output=True)
    assert build_both_ways(root, compared, **(EVERYTHING if seed == 1 else {})) == 300


# --- every template, the theme's and the registry's own ---------------------------------------------


def test_the_comparisons_cover_every_template_of_the_theme(tmp_path: Path, compared: Compared, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every file in templates/ is rendered (directly, extended or included) by the builds compared above."""
    used: set[str] = set()
    real = jinja2.Environment.get_template

    def get_template(self: jinja2.Environment, name: Any, *args: Any, **kwargs: Any) -> Any:
        used.add(str(name))
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "get_template", get_template)
    root = tmp_path / "project"
    _corpus_valid(root)
    assert build_both_ways(root, compared, **EVERYTHING) >= 5
    assert {p.name for p in theme_dir("templates").iterdir()} <= used


def test_a_registry_template_is_compiled_like_the_theme(tmp_path: Path) -> None:
    """A registry's own templates/ costs no more than the theme: the same code generator compiles both."""
    (tmp_path / "templates").mkdir()
    shutil.copy(theme_dir("templates") / "record.html", tmp_path / "templates" / "record.html")
    env = Templates(tmp_path / "templates").env
    assert env.code_generator_class is codegen.FastCodeGenerator
    own = env.get_template("record.html")
    assert own.filename is not None and Path(own.filename).parent == tmp_path / "templates"
    assert "_srch_text(" in env.compile(env.loader.get_source(env, "record.html")[0], raw=True)  # type: ignore[union-attr]


def test_a_registry_record_html_row_and_atom_entry_win(tmp_project: Path) -> None:
    (tmp_project / "templates").mkdir()
    for name, old, new in (
        ("record.html", '<h2 id="abstract" data-pagefind-ignore>Abstract</h2>', '<h2 id="abstract" data-pagefind-ignore>Our own abstract heading</h2>'),
        ("_row.html", "<tr data-f=", '<tr class="our-row" data-f='),
        ("_atom_entry.xml", "<entry>", "<entry><!-- our own entry -->"),
    ):
        theme = (theme_dir("templates") / name).read_text(encoding="utf-8")
        assert old in theme
        (tmp_project / "templates" / name).write_text(theme.replace(old, new), encoding="utf-8")
    report = build(project_for(tmp_project), search=False)
    assert not report.errors
    site = tmp_project / "site"
    pages = list((site / "records").glob("*/index.html"))
    assert pages and all("Our own abstract heading" in p.read_text(encoding="utf-8") for p in pages)
    assert (site / "index.html").read_text(encoding="utf-8").count('<tr class="our-row" data-f=') == 5  # page_size
    assert (site / "feed.atom").read_text(encoding="utf-8").count("<!-- our own entry -->") == len(pages)


def test_the_comparison_catches_a_generator_that_differs(tmp_project: Path, compared: Compared, monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated code whose printing of plain text went wrong: the check above fails."""
    real = codegen.escape_text
    monkeypatch.setattr(codegen, "escape_text", lambda text: real(text).upper())  # what the generated modules import
    report = build(project_for(tmp_project), search=False)
    assert not report.errors
    pages = [(j, f) for kind, _, j, f in compared.pages if kind == "record_page_unlinked"]
    assert pages and all(j != f for j, f in pages)
    with pytest.raises(pytest.fail.Exception, match="(record_page_unlinked|atom_entry|listing_row) of .* differs"):
        compared.check(len(pages))

