"""The Graph page drawing: deterministic, linear, capped, every drawn node a link (SPEC §4)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from srchgen.render import graph

SVG = "{http://www.w3.org/2000/svg}"


def node(i: str) -> graph.Node:
    return graph.Node(i, i, f"{i}: <title> & \"quote\"", f"../records/{i}/index.html", "tier-watchlist")


def chain(n: int, prefix: str = "N") -> tuple[list[str], list[tuple[str, str]]]:
    ids = [f"{prefix}{i:05d}" for i in range(n)]
    return ids, [(ids[i], ids[i + 1]) for i in range(n - 1)]


def test_components_are_found_largest_first() -> None:
    ids = ["a", "b", "c", "d", "e"]
    groups = graph.components(ids, [("a", "b"), ("c", "d"), ("d", "e")])
    assert groups == [["c", "d", "e"], ["a", "b"]]


def test_layout_is_deterministic_and_independent_of_input_order() -> None:
    ids, edges = chain(30)
    star = [("S0", f"S{i}") for i in range(1, 12)]
    a = graph.layout(ids + [f"S{i}" for i in range(12)], edges + star)
    b = graph.layout(list(reversed(ids + [f"S{i}" for i in range(12)])), list(reversed(edges + star)))
    assert a == b
    assert len(a.positions) == 42


def test_positions_are_inside_the_canvas_and_distinct() -> None:
    ids, edges = chain(50)
    star = [("S0", f"S{i}") for i in range(1, 40)]
    lay = graph.layout(ids + [f"S{i}" for i in range(40)], edges + star)
    pts = list(lay.positions.values())
    assert len(set(pts)) == len(pts)
    assert all(0 <= x <= lay.width and 0 <= y <= lay.height for x, y in pts)


@pytest.mark.parametrize(("size", "cap", "drawn"), [(10, 300, 10), (300, 300, 300), (301, 300, 300), (5000, 300, 300), (5000, 50, 50)])
def test_node_cap(size: int, cap: int, drawn: int) -> None:
    ids, edges = chain(size)
    lay = graph.layout(ids, edges, max_nodes=cap)
    assert len(lay.positions) == drawn
    assert all(a in lay.positions and b in lay.positions for a, b in lay.edges)
    assert lay.total_nodes == size


def test_whole_components_are_left_out_past_the_cap() -> None:
    big, e1 = chain(8, "A")
    small, e2 = chain(5, "B")
    lay = graph.layout(big + small, e1 + e2, max_nodes=10)
    assert set(lay.positions) == set(big)
    assert lay.drawn_components == 1 and lay.components == 2
    assert "show 8 of them" in graph.describe(lay, len(e1 + e2))


def test_svg_links_every_drawn_node_and_escapes_text() -> None:
    ids, edges = chain(4)
    lay = graph.layout(ids, edges)
    markup = graph.svg(lay, node, 'Related <"records">', "desc & more")
    root = ET.fromstring(markup)
    links = root.findall(f".//{SVG}a")
    assert sorted(a.get("href") for a in links) == sorted(f"../records/{i}/index.html" for i in ids)
    assert all(a.get("aria-label") == f'{a.find(SVG + "text").text}: <title> & "quote"' for a in links)
    assert len(root.findall(f".//{SVG}line")) == 3
    assert root.find(SVG + "title").text == 'Related <"records">'
    assert "style=" not in markup


def test_empty_graph() -> None:
    lay = graph.layout([], [])
    assert graph.svg(lay, node, "t", "d") == ""
    assert graph.describe(lay, 0) == "No records are related yet."


def test_large_registry_is_capped_and_counted() -> None:
    """10,000 linked records in 5,000 pairs: the layout visits each once (no O(n^2) step)."""
    ids = [f"R{i:05d}" for i in range(10_000)]
    edges = [(ids[i], ids[i + 1]) for i in range(0, 10_000, 2)]
    lay = graph.layout(ids, edges)
    assert lay.components == 5000
    assert len(lay.positions) == graph.MAX_NODES
