"""Markdown to safe HTML, and word-boundary truncation (SPEC §2, §4, §7).

cmarkgfm is GitHub's own renderer (authors preview records in the pull request with
it); its output then passes nh3's allow-list, never through.
"""

from __future__ import annotations

import html
import re

import cmarkgfm
import nh3
from cmarkgfm.cmark import Options

_CMARK_OPTIONS = Options.CMARK_OPT_VALIDATE_UTF8 | Options.CMARK_OPT_GITHUB_PRE_LANG | Options.CMARK_OPT_FOOTNOTES

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "input", "ins", "kbd", "li", "ol", "p", "pre",
    "q", "s", "section", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title", "id"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"align"},
    "th": {"align"},
    "ol": {"start"},
    "code": {"class"},
    "pre": {"lang"},
    "li": {"id"},
    "sup": {"class"},
    "section": {"class"},
    "input": {"type", "checked", "disabled"},
}
_ABSOLUTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.I)


def _filter(tag: str, attr: str, value: str) -> str | None:
    """Images only from the record's own site (no other origin, SPEC §2); task-list boxes only."""
    if tag == "img" and attr == "src" and _ABSOLUTE.match(value):
        return None
    if tag == "input" and attr == "type" and value != "checkbox":
        return None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="nofollow noopener",
    attribute_filter=_filter,
    strip_comments=True,
)


def render_markdown(text: str) -> str:
    """GFM (tables, autolinks, strikethrough) as GitHub renders it, then sanitised.

    The one function to swap when the renderer changes. Level-1 headings are shown as
    level 2, since the page's own title is the only h1.
    """
    html = cmarkgfm.github_flavored_markdown_to_html(text, options=_CMARK_OPTIONS)
    html = html.replace("<h1>", "<h2>").replace("</h1>", "</h2>")
    return _CLEANER.clean(html)


def cut(text: str, limit: int) -> str:
    """Cut at a word boundary so the result, ellipsis included, fits in `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if text[limit - 1] != " " and " " in head:
        head = head[: head.rfind(" ")]
    return head.rstrip(" ,;:.-–—") + "…"


_LABEL = re.compile(r"\A(\s*)(\*\*|__)?abstract\s*[:.]\s*(\*\*|__)?\s*", re.I)


def strip_abstract_label(text: str) -> str:
    """Drop a leading 'Abstract:' label so the page never shows 'Abstract: Abstract:' (SPEC defect list)."""
    return _LABEL.sub(r"\1", text, count=1)


def plain_text(markdown_html: str) -> str:
    """Text of rendered HTML, for descriptions and feeds' summaries."""
    return " ".join(html.unescape(nh3.clean(markdown_html, tags=set())).split())
