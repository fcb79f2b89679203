"""Every output path and URL in one place (SPEC §4).

Internal links are relative and name `index.html` explicitly, so the site works at a
domain root, under a GitHub Pages project prefix and from file://. Only what must be
absolute (canonical, Open Graph, feeds, sitemap) uses base_url.
"""

from __future__ import annotations

import functools
import re

from srchgen.derive.rules import Gate, Level, Tier
from srchgen.check.schema import Section

HOME = "index.html"
GUIDE = "guide/index.html"
ABOUT = "about/index.html"
GRAPH = "graph/index.html"
TOPICS = "topics/index.html"
NOT_FOUND = "404.html"
SEARCH = "search/index.html"
STATS = "stats/index.html"  # the registry's charts (issue 14: off the index, on their own page)
FEED_JSON = "feed.json"
FEED_ATOM = "feed.atom"
RECORDS_JSON = "records.json.gz"  # the data export: every record (SPEC §8), gzip-compressed
RECORD_DATA = "record.json"  # a record's one data file, beside its page
SCHEMA = "schema/paper-manifest-v1.1.json"
CSS = "assets/style.css"
# Gate 2, checkable by a reader (issue 25): per signed record the exact signed text and its
# armored SSHSIG beside the page, named as `ssh-keygen -Y sign` names a file's signature; one
# registry-wide allowed_signers file (the gate_signers file the build verified against).
GATE_PAYLOAD = "gate-payload.txt"
GATE_SIGNATURE = "gate-payload.txt.sig"
GATE_SIGNERS = "gate/allowed_signers"
SITE_MANIFEST = "manifest.json.gz"  # every file's path, size and SHA-256 (build/attest.py)
SITEMAP_MAX = 50_000  # URLs per sitemap file (sitemaps.org)


@functools.lru_cache(maxsize=4096)  # a template slugs the same few tier, gate and topic names on every page
def slug(text: str) -> str:
    """'DOI grade' -> 'doi-grade', 'L2, Source-grounded claims' -> 'l2-source-grounded-claims'."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def record_dir(hex_id: str) -> str:
    return f"records/{hex_id}/"


def record_page(hex_id: str) -> str:
    return f"records/{hex_id}/index.html"


def section_dir(section: Section) -> str:
    return f"sections/{section.value}/"


def tier_dir(tier: Tier) -> str:
    return f"tiers/{slug(tier.value)}/"


def gate_dir(gate: Gate) -> str:
    return f"gate/{slug(gate.value)}/"


def level_dir(level: Level) -> str:
    return f"levels/{level.name.lower()}/"


def topic_dir(topic: str) -> str:
    return f"topics/{topic}/"


def listing_page(base_dir: str, n: int) -> str:
    """Page 1 of a listing is its directory's index.html; page n lives at page/n/."""
    return f"{base_dir}index.html" if n == 1 else f"{base_dir}page/{n}/index.html"


def root_prefix(from_page: str) -> str:
    """The relative path from an output file back to the site root: '', '../', '../../', ..."""
    return "../" * from_page.count("/")


def relative(from_page: str, target: str) -> str:
    """Relative URL from one output file to another (via the site root: cheap and always right)."""
    return root_prefix(from_page) + target


def pretty(target: str) -> str:
    """The public URL path of an output: records/X/index.html -> records/X/ (for canonical URLs)."""
    if target == HOME:
        return ""
    return target[: -len("index.html")] if target.endswith("/index.html") else target


def absolute(base_url: str, target: str) -> str:
    return base_url + pretty(target)
