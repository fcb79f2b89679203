"""Site configuration: `[tool.srchgen]` in pyproject.toml, frozen, passed explicitly (SPEC §3)."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from srchgen.clock import reference_date
from srchgen.errors import ConfigError, Problem


# Licences registries commonly choose, with their canonical deed; any other SPDX id links to spdx.org.
LICENSE_URLS = {
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-4.0": "https://creativecommons.org/licenses/by-nc/4.0/",
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "ODC-By-1.0": "https://opendatacommons.org/licenses/by/1-0/",
    "ODbL-1.0": "https://opendatacommons.org/licenses/odbl/1-0/",
    "MIT": "https://spdx.org/licenses/MIT.html",
}


class License(BaseModel):
    """The licence the records are published under (SPDX id and the URL of its text)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """SPDX licence id, e.g. CC-BY-4.0."""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9.+-]{0,63}", v):
            raise ValueError(f"license {v!r} is not an SPDX id such as CC-BY-4.0 (letters, digits, '.', '+', '-')")
        return v
    url: str = ""
    """Where the licence text is; known SPDX ids get their canonical URL, others https://spdx.org/licenses/ID.html."""

    @field_validator("url")
    @classmethod
    def _url(cls, v: str) -> str:
        if v and not re.fullmatch(r"https?://\S+", v):
            raise ValueError("license url must be an absolute http(s) URL")
        return v

    def model_post_init(self, _: Any) -> None:
        if not self.url:
            object.__setattr__(self, "url", LICENSE_URLS.get(self.id, f"https://spdx.org/licenses/{self.id}.html"))


class Config(BaseModel):
    """Every threshold a page sentence prints comes from here, so the guide and the rules agree."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    title: str = "Research Synthesis Registry"
    """Site name shown in the header, the feeds and `<title>`."""
    description: str = "Machine-generated research syntheses with public triage fields."
    """One sentence for the About page, the feeds and Open Graph."""
    base_url: str | None = None
    """Absolute URL the site is served from (e.g. https://org.github.io/repo/); canonical, feed and sitemap URLs need it."""
    page_size: int = Field(50, ge=1, le=10_000)
    """Records per listing page; further pages live at page/N/."""
    title_cut: int = Field(110, ge=10, le=1000)
    """Listings cut titles at a word boundary within this many characters (ellipsis included)."""
    provenance_note: str = "Machine-generated synthesis of existing literature. Not primary research."
    """Default provenance note; a record's `note` overrides it."""
    doi_grade_min_score: float = Field(7.5, ge=0, le=10)
    """DOI grade needs a review score at least this high."""
    doi_grade_min_claims: int = Field(5, ge=0)
    """DOI grade (and MEDIUM evidence strength) needs at least this many source-grounded claims."""
    quarantine_below_score: float = Field(5.0, ge=0, le=10)
    """A review score below this makes a record a quarantine candidate."""
    gate_activated: dt.date = dt.date(2026, 6, 10)
    """Day the Gate 2 pipeline started; records submitted before it without artifacts say so."""
    gate_initial_evaluation: dt.datetime = dt.datetime(2026, 6, 10, 6, 30, 49, tzinfo=dt.timezone.utc)
    """The 'Evaluated' time shown for records published before the gate was activated."""
    gate_signers: str | None = None
    """Path (relative to the project root) of an OpenSSH allowed_signers file; when set, every gate_evaluation must be signed."""
    cname: str | None = None
    """Custom domain for GitHub Pages; written to site/CNAME when set."""
    search: bool = True
    """Build the Pagefind search index at the end of the build."""
    search_shard_size: int = Field(12_500, ge=1, strict=True)
    """Pagefind indexes at most this many record pages at a time (one bundle each, merged by the search page): its memory grows with the pages of one index.
    12,500: at 100,000 records, shards of 20,000 put the build's process tree at 3,839 MiB (make bench-scale), over SPEC §8's 4 GB."""
    feed_size: int = Field(50, ge=1, le=100_000)
    """feed.json and feed.atom hold the newest this many records (SPEC §8); the data export holds them all."""
    max_site_bytes: int = Field(10_000_000_000, ge=1)
    """A build whose site would exceed this many bytes fails before touching site/ (SPEC §8: GitHub Pages refuses a site over 10 GB unpacked; past 1 GB every build adds a note)."""
    repository: str | None = None
    """https URL of the registry's source repository (e.g. https://github.com/org/registry): history, edit and source links."""
    license: License | None = None
    """The records' licence: an SPDX id ("CC-BY-4.0") or a table {id = "...", url = "..."}; shown on every page and export."""
    today: dt.date = Field(default_factory=reference_date, exclude=True)
    """Reference day for 'not in the future' (SOURCE_DATE_EPOCH, else today in UTC); never printed."""

    @field_validator("base_url")
    @classmethod
    def _base_url(cls, v: str | None) -> str | None:
        return normalize_base_url(v)

    @field_validator("repository")
    @classmethod
    def _repository(cls, v: str | None) -> str | None:
        url = _url(v, "https", "repository must be an https URL such as https://github.com/org/registry")
        return url.rstrip("/") if url else None

    @field_validator("license", mode="before")
    @classmethod
    def _license(cls, v: Any) -> Any:
        return {"id": v} if isinstance(v, str) else v

    @field_validator("gate_initial_evaluation")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("gate_initial_evaluation needs a time zone, e.g. 2026-06-10T06:30:49+00:00")
        return v

    @property
    def base_path(self) -> str:
        """The URL path prefix of base_url ("/repo/"), "/" at a domain root or without base_url."""
        if not self.base_url:
            return "/"
        m = re.match(r"https?://[^/]+(/.*)?$", self.base_url)
        return (m.group(1) if m and m.group(1) else "/")


def _url(v: str | None, scheme: str, message: str) -> str | None:
    """An absolute URL of the given scheme(s) with no query or fragment; "" and None mean unset."""
    if v is None or v == "":
        return None
    if not re.fullmatch(rf"{scheme}://[^/\s?#]+(/[^\s?#]*)?", v):
        raise ValueError(message)
    return v


def normalize_base_url(v: str | None) -> str | None:
    """base_url with a trailing slash (None when empty); ValueError when it is not an absolute http(s) URL."""
    url = _url(v, "https?", "base_url must be an absolute http(s) URL such as https://org.github.io/repo/")
    return url if url is None or url.endswith("/") else url + "/"


def _key_line(text: str, key: str) -> tuple[int, int]:
    """Find `key =` inside the [tool.srchgen] table; tomllib gives no positions."""
    in_table = False
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if s.startswith("["):
            in_table = s.split("#")[0].strip() == "[tool.srchgen]"
            continue
        if in_table and re.match(rf"{re.escape(key)}\s*=", s):
            return n, line.index(key) + 1
    return 1, 1


def load_config(root: Path, display: str = "pyproject.toml", **overrides: Any) -> Config:
    """Read `[tool.srchgen]` from root/pyproject.toml (defaults when absent); raise ConfigError with positions."""
    path = root / "pyproject.toml"
    table: dict[str, Any] = {}
    text = ""
    if path.is_file():
        try:
            text = path.read_text(encoding="utf-8")
            table = tomllib.loads(text).get("tool", {}).get("srchgen", {})
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
            m = re.search(r"line (\d+), column (\d+)", str(e))
            line, col = (int(m.group(1)), int(m.group(2))) if m else (1, 1)
            raise ConfigError([Problem(display, line, col, f"invalid TOML: {e}")]) from None
    problems: list[Problem] = []
    known = set(Config.model_fields)
    for key in table:
        if key not in known or key == "today":
            line, col = _key_line(text, key)
            import difflib  # only for a misspelt key

            near = difflib.get_close_matches(key, sorted(known - {"today"}), n=1)
            hint = f"; did you mean '{near[0]}'?" if near else ""
            problems.append(Problem(display, line, col, f"unknown key '{key}' in [tool.srchgen]{hint}"))
    if problems:
        raise ConfigError(problems)
    data = {**table, **{k: v for k, v in overrides.items() if v is not None}}
    try:
        return Config(**data)
    except ValidationError as e:
        for err in e.errors():
            key = str(err["loc"][0]) if err["loc"] else ""
            line, col = _key_line(text, key) if key in table else (1, 1)
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(display, line, col, f"[tool.srchgen] {key}: {msg}"))
        raise ConfigError(problems) from None
