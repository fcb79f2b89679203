"""A lower bound on the bytes a record costs under SPEC §4, measured on a built site.

Usage: .venv/bin/python bench/size_floor.py SITE   (a site built by `srchgen build`; BENCH.md)

SPEC §8 asks for 10,000 records in 100 MB: 10 kB a record for everything. This takes every
record page of SITE and strips it to what SPEC §4 and the seed pages ask of it, generously:
no navigation, breadcrumbs, footer, skip link, Content-Security-Policy, icon or type links,
contract details or badge; no class, id, aria-* or data-* attribute (so not even search's
filters); no <div> or <span>; no optional end tag (</td>, </li>, </p>, ...); no whitespace
between tags. What stays is the head's citation, Open Graph and JSON-LD metadata, the header's
facts, every section in the seeds' wording, BibTeX and RIS, related records and history. The
data file is counted as written (minified JSON already) less its abstract, which SPEC does not
list in it. Listings and search are left out: any site has more than this floor.

Prints kB per record of each, and what the floor alone makes of 10,000 and 100,000 records.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

_DROP_BLOCKS = [
    r'<meta http-equiv="Content-Security-Policy"[^>]*>',
    r'<a class="skip".*?</a>',
    r'<nav aria-label="Main">.*?</nav>',
    r'<nav class="breadcrumb".*?</nav>',
    r'<footer class="site-footer">.*?</footer>',
    r'<details class="contracts">.*?</details>',
    r'<p class="badge-embed">.*?</p>',
    r'<link rel="(?:icon|type|describedby)"[^>]*>',
    r'<script src=[^>]*></script>',
]
_DROP_ATTRS = r'\s(?:class|id|aria-[a-z]+|data-[a-z-]+)(?:="[^"]*")?'
_UNWRAP = r'</?(?:div|span)>'
_OPTIONAL_END = r'</(?:td|th|tr|li|dt|dd|p)>'


def floor_page(html: str) -> str:
    for pattern in _DROP_BLOCKS:
        html = re.sub(pattern, "", html, flags=re.S)
    html = re.sub(_DROP_ATTRS, "", html)
    html = re.sub(_UNWRAP, "", html)
    html = re.sub(_OPTIONAL_END, "", html)
    return re.sub(r">\s+<", "><", html).strip()


def main(site: Path) -> None:
    pages = sorted(site.glob("records/*/index.html"))
    if not pages:
        sys.exit(f"no record pages under {site}/records/")
    page = floor = data = data_floor = 0
    for p in pages:
        html = p.read_text(encoding="utf-8")
        page += len(html.encode())
        floor += len(floor_page(html).encode())
        raw = p.with_name("record.json").read_bytes()
        data += len(raw)
        d = json.loads(raw)
        d.pop("abstract", None)
        data_floor += len(json.dumps(d, ensure_ascii=False, separators=(",", ":")).encode())
    n = len(pages)
    each = (floor + data_floor) / n
    print(f"{n} record pages in {site}")
    print(f"record page: {page / n / 1000:.2f} kB as built, {floor / n / 1000:.2f} kB stripped to SPEC's content")
    print(f"data file:   {data / n / 1000:.2f} kB as built, {data_floor / n / 1000:.2f} kB without the abstract")
    print(f"floor, page + data file: {each / 1000:.2f} kB a record (SPEC §8's budget: 10.00 for everything)")
    print(f"  at 10,000 records: {each * 10_000 / 1e6:.1f} MB (budget 100); at 100,000: {each * 100_000 / 1e9:.2f} GB (budget 1)")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(Path(sys.argv[1]))
