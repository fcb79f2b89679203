"""The Graph page's drawing: related records as SVG laid out at build time (SPEC §4).

Deterministic and O(n + e) in the linked records: connected components by union-find;
each component is drawn as a layered tree from its best-connected record (breadth-first
depth = row), and components are packed on shelves, largest first. Only records
that have links are drawn, and at most MAX_NODES of them: past that, whole components
are left out in order (a component larger than the cap is cut to the MAX_NODES records
nearest its centre), and the page says so. The text list beside the drawing stays
complete; it is the accessible alternative. No JavaScript; colours from CSS classes.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Callable, Iterable, Mapping, Sequence

if TYPE_CHECKING:
    from srchgen.render.summary import Summary

MAX_NODES = 300  # drawn records; the list below the drawing has every link
WIDTH = 960  # viewBox width; height grows with the content. Drawn at 1 unit = 1 CSS px (style.css)
NODE_R = 9  # an 18 px mark; with its label each record's link is at least 24 × 24 px (issue 24)
ROW_STEP = 56  # distance between breadth-first rows
SPACING = 76  # distance between neighbours in a row (room for an 8-character label)
PAD = 16  # margin around a component
LABEL_W = 60  # room for a label centred under a node
LABEL_H = 18  # room for a label below a node
CHAR_W = 7.3  # one character of the 12 px monospace label
SHAPES = ("circle", "square", "diamond")
TIER_SHAPES = {"DOI grade": "circle", "Watchlist": "square", "Quarantine candidate": "diamond"}  # templates/graph.html's legend


@dataclass(frozen=True)
class Node:
    id: str
    label: str  # short text under the node
    title: str  # tooltip and the link's accessible name; must start with `label`
    href: str
    css: str  # extra class (e.g. the tier), coloured in style.css
    shape: str = "circle"  # one of SHAPES: the tier told by shape as well as by colour


@dataclass(frozen=True)
class Layout:
    """Positions of the drawn nodes, the drawn edges, and what was left out."""

    positions: Mapping[str, tuple[float, float]]
    edges: tuple[tuple[str, str], ...]
    width: int
    height: int
    components: int  # number of connected components among linked records
    drawn_components: int
    total_nodes: int


def components(nodes: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[list[str]]:
    """Connected components (union-find), each sorted, largest first, ties by first id."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    groups: dict[str, list[str]] = {}
    for n in sorted(nodes):
        groups.setdefault(find(n), []).append(n)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def bfs_levels(members: Sequence[str], adjacency: Mapping[str, Sequence[str]], limit: int) -> list[list[str]]:
    """Breadth-first levels from the best-connected member (ties by id), at most `limit` members."""
    centre = min(members, key=lambda n: (-len(adjacency[n]), n))
    seen = {centre}
    out: list[list[str]] = [[centre]]
    queue = deque([(centre, 0)])
    count = 1
    while queue and count < limit:
        node, depth = queue.popleft()
        for other in adjacency[node]:  # adjacency lists are sorted: deterministic order
            if other in seen or count >= limit:
                continue
            seen.add(other)
            count += 1
            if len(out) <= depth + 1:
                out.append([])
            out[depth + 1].append(other)
            queue.append((other, depth + 1))
    return out


def place_layers(levels: Sequence[Sequence[str]]) -> dict[str, tuple[float, float]]:
    """A layered (top-down) tree: breadth-first depth is the row, members spread evenly and centred on it."""
    pos: dict[str, tuple[float, float]] = {}
    for depth, members in enumerate(levels):
        mid = (len(members) - 1) / 2
        for i, n in enumerate(members):
            pos[n] = ((i - mid) * SPACING, depth * ROW_STEP)
    return pos


def layout(nodes: Sequence[str], edges: Sequence[tuple[str, str]], max_nodes: int = MAX_NODES) -> Layout:
    """Lay out linked records: components as layered trees, packed on shelves, within the node budget."""
    adjacency: dict[str, list[str]] = {n: [] for n in nodes}
    for a, b in edges:
        adjacency[a].append(b)
        adjacency[b].append(a)
    for v in adjacency.values():
        v.sort()
    groups = components(nodes, edges)
    positions: dict[str, tuple[float, float]] = {}
    x = y = 0.0
    shelf = 0.0
    budget = max_nodes
    drawn = 0
    for group in groups:
        if budget <= 0 or (drawn and len(group) > budget):
            break
        levels = bfs_levels(group, adjacency, budget)
        local = place_layers(levels)
        xs = [p[0] for p in local.values()]
        ys = [p[1] for p in local.values()]
        w = max(xs) - min(xs) + 2 * PAD + LABEL_W
        h = max(ys) - min(ys) + 2 * PAD + LABEL_H
        if x > 0 and x + w > WIDTH:
            x, y, shelf = 0.0, y + shelf, 0.0
        ox, oy = x + PAD + LABEL_W / 2 - min(xs), y + PAD - min(ys)
        for n, (px, py) in local.items():
            positions[n] = (ox + px, oy + py)
        x += w
        shelf = max(shelf, h)
        budget -= len(local)
        drawn += 1
    width = max(WIDTH, math.ceil(max((p[0] for p in positions.values()), default=0) + PAD))
    height = math.ceil(y + shelf) if positions else 0
    kept = tuple(sorted((a, b) if a < b else (b, a) for a, b in edges if a in positions and b in positions))
    return Layout(positions, kept, width, height, len(groups), drawn, len(nodes))


def _n(x: float) -> str:
    s = f"{x:.1f}"
    s = s[:-2] if s.endswith(".0") else s
    return "0" if s == "-0" else s


def svg(lay: Layout, info: Callable[[str], Node], title: str, desc: str) -> str:
    """The drawing: edges as lines, each record a linked circle with its short id beneath."""
    if not lay.positions:
        return ""
    e = escape
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="graph-svg" viewBox="0 0 {lay.width} {lay.height}" width="{lay.width}" height="{lay.height}" '
        'role="group" aria-labelledby="graph-title graph-desc">',
        f'<title id="graph-title">{e(title)}</title>',
        f'<desc id="graph-desc">{e(desc)}</desc>',
        '<g class="edges">',
    ]
    for a, b in lay.edges:
        (x1, y1), (x2, y2) = lay.positions[a], lay.positions[b]
        parts.append(f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}"/>')
    parts.append("</g>")
    parts.append('<g class="nodes">')
    for node_id in sorted(lay.positions):
        x, y = lay.positions[node_id]
        node = info(node_id)
        label_w = len(node.label) * CHAR_W + 4
        parts.append(
            f'<a href="{e(node.href)}" aria-label="{e(node.title)}" class="node {e(node.css)}">'
            f"{mark(node.shape, x, y)}"
            f'<rect class="label-bg" x="{_n(x - label_w / 2)}" y="{_n(y + NODE_R + 3)}" width="{_n(label_w)}" height="15"/>'
            f'<text x="{_n(x)}" y="{_n(y + NODE_R + 15)}" text-anchor="middle">{e(node.label)}</text>'
            f"<title>{e(node.title)}</title></a>"
        )
    parts.append("</g></svg>")
    return "\n".join(parts)


def mark(shape: str, x: float, y: float) -> str:
    """A record's mark, about NODE_R from its centre: a circle, a square or a diamond."""
    if shape == "square":
        side = NODE_R * 1.7
        return f'<rect class="mark" x="{_n(x - side / 2)}" y="{_n(y - side / 2)}" width="{_n(side)}" height="{_n(side)}"/>'
    if shape == "diamond":
        r = NODE_R * 1.2
        return f'<path class="mark" d="M{_n(x)} {_n(y - r)}L{_n(x + r)} {_n(y)}L{_n(x)} {_n(y + r)}L{_n(x - r)} {_n(y)}Z"/>'
    return f'<circle class="mark" cx="{_n(x)}" cy="{_n(y)}" r="{NODE_R}"/>'


def describe(lay: Layout, links: int) -> str:
    """One sentence saying what the drawing shows and what it leaves out."""
    drawn = len(lay.positions)
    if not lay.total_nodes:
        return "No records are related yet."
    s = f"{links} link{'s' if links != 1 else ''} between {lay.total_nodes} record{'s' if lay.total_nodes != 1 else ''} in {lay.components} group{'s' if lay.components != 1 else ''}."
    if drawn < lay.total_nodes:
        s += (
            f" The drawing and the list below show {drawn} of them ({lay.drawn_components} largest group{'s' if lay.drawn_components != 1 else ''}, "
            f"at most {MAX_NODES} records); every record page lists its related records, and the data export (records.json.gz) has every link."
        )
    return s


@dataclass(frozen=True)
class Drawing:
    svg: str
    summary: str
    drawn: frozenset[str]  # ids in the drawing; the page lists these records' links
    left_out: int  # linked records not drawn (their links are on their own pages and in the data export)


def draw(linked: Sequence[Summary], edges: Sequence[tuple[str, str]], href: Callable[[str], str]) -> Drawing:
    """The drawing and its one-sentence description for the records that have links (ids in `edges`)."""
    by_id = {e.id: e for e in linked}
    lay = layout(sorted(by_id), edges)
    sentence = describe(lay, len(edges))

    def info(node_id: str) -> Node:
        e = by_id[node_id]
        tier = e.tier.value.lower().replace(" ", "-")
        # the accessible name starts with the visible label (axe label-content-name-mismatch)
        return Node(node_id, e.hex, f"{e.hex}: {e.short_title}", href(e.hex), "tier-" + tier, TIER_SHAPES.get(e.tier.value, "circle"))

    drawn = frozenset(lay.positions)
    return Drawing(svg(lay, info, "Related records", sentence), sentence, drawn, len(by_id) - len(drawn))
