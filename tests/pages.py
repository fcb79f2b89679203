"""Reading built pages in tests: headings, key/value rows, visible text."""

from __future__ import annotations

from html.parser import HTMLParser


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.h2: list[str] = []
        self.rows: list[tuple[str, str]] = []  # (th or dt, td or dd) in page order
        self.text: list[str] = []
        self._stack: list[str] = []
        self._cell: dict[str, list[str]] = {}
        self._hidden = 0
        self._skip = 0
        self._key = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        if "hidden" in a:
            self._hidden += 1
            self._stack.append("hidden:" + tag)
            return
        self._stack.append(tag)
        if tag in ("th", "dt", "td", "dd", "h2"):
            self._cell[tag] = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        while self._stack:
            top = self._stack.pop()
            if top.startswith("hidden:"):
                self._hidden -= 1
                if top == "hidden:" + tag:
                    break
            elif top == tag:
                break
        if self._hidden:
            return
        if tag == "h2":
            self.h2.append(" ".join("".join(self._cell.pop("h2", [])).split()))
        if tag in ("th", "dt"):
            self._key = " ".join("".join(self._cell.pop(tag, [])).split())
        if tag in ("td", "dd"):
            self.rows.append((self._key, " ".join("".join(self._cell.pop(tag, [])).split())))

    def handle_data(self, data: str) -> None:
        if self._skip or self._hidden:
            return
        self.text.append(data)
        for buf in self._cell.values():
            buf.append(data)


def parse_page(html: str) -> _Page:
    p = _Page()
    p.feed(html)
    return p


def facts(html: str) -> dict[str, str]:
    """Label -> value of every th/td and dt/dd pair (first occurrence wins)."""
    out: dict[str, str] = {}
    for k, v in parse_page(html).rows:
        out.setdefault(k, v)
    return out


def visible_text(html: str) -> str:
    return " ".join("".join(parse_page(html).text).split())
