"""Entry: the one object render sees — record + derived fields + sanitised HTML + source path."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import PurePosixPath

from srchgen.config import Config
from srchgen.derive.rules import Derived, Signer, derive
from srchgen.derive.markup import cut, plain_text, render_markdown, strip_abstract_label
from srchgen.check.schema import Record
from srchgen.load.artifacts import ArtifactFact
from srchgen.load.source import abstract_of
from srchgen.check.validate import Valid


@dataclass(frozen=True)
class PublishedArtifact:
    kind: str
    name: str  # path under records/<HEX>/artifacts/ (as under records/<HEX>/)
    size: int
    sha256: str
    source: str  # absolute path of the file to copy


@dataclass(frozen=True)
class Entry:
    record: Record
    derived: Derived
    source_path: str
    abstract_html: str
    rest_html: str  # the body after the abstract (## Limitations, ...)
    summary: str  # plain text of the abstract
    short_title: str  # cut at a word boundary within title_cut
    artifacts: tuple[PublishedArtifact, ...]

    @property
    def id(self) -> str:
        return self.record.id

    @property
    def hex(self) -> str:
        return self.record.hex

    @property
    def sort_key(self) -> tuple[int, str]:
        """Newest first; the same day by id (SPEC §4)."""
        return (-self.record.submitted.toordinal(), self.record.id)

    @property
    def updated(self) -> dt.date:
        """The last day the public record changed: the newest of its submission, its corrections
        and its gate evaluation (UTC day); feeds' modified dates and the sitemap's lastmod."""
        r = self.record
        days = [r.submitted]
        if r.corrections:
            days.append(r.corrections[-1].date)
        if r.gate_evaluation is not None:
            days.append(r.gate_evaluation.evaluated.astimezone(dt.timezone.utc).date())
        return max(days)


# Extensions a browser (or GitHub Pages' MIME map) would run as a page or script on the
# registry's own origin (SPEC §6: no executable script in the site).
ACTIVE_SUFFIXES = frozenset(
    ".html .htm .xhtml .xht .shtml .mht .mhtml .svg .svgz .xml .xsl .xslt .rdf .js .mjs .cjs .swf".split()
)


def published_name(name: str) -> str:
    """An attached run.html is published as run.html.txt, so it is served as text, never as an active page."""
    return name + ".txt" if PurePosixPath(name).suffix.lower() in ACTIVE_SUFFIXES else name


def _published(facts: dict[str, ArtifactFact], record: Record) -> tuple[PublishedArtifact, ...]:
    out = []
    for art in record.artifacts:
        fact = facts.get(art.path)
        if fact is None or fact.source is None or fact.sha256 is None:
            continue
        name = published_name(PurePosixPath(art.path).relative_to(record.hex).as_posix())
        out.append(PublishedArtifact(art.kind.value, name, fact.size, fact.sha256, str(fact.source)))
    return tuple(out)


def make_entry(valid: Valid, config: Config, signer: Signer | None = None) -> Entry:
    """Derive and render one record; pure apart from reading no files (facts were loaded).

    `signer` is who signed the evaluation, from the signature check (None: shown as unsigned).
    """
    src, rec = valid.source, valid.record
    body = src.body
    abstract = strip_abstract_label(abstract_of(body))
    rest = body[len(abstract_of(body)) :]
    abstract_html = render_markdown(abstract)
    return Entry(
        record=rec,
        derived=derive(rec, body, config, signer),
        source_path=src.path,
        abstract_html=abstract_html,
        rest_html=render_markdown(rest) if rest.strip() else "",
        summary=plain_text(abstract_html),
        short_title=cut(rec.display_title, config.title_cut),
        artifacts=_published(dict(src.artifacts), rec),
    )
