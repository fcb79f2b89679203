"""The listing pager links a constant number of pages (issue 5: no super-linear step)."""

from __future__ import annotations

import pytest

from srchgen.render.render import PAGER_REACH, pager_window


@pytest.mark.parametrize(
    "n, total, expected",
    [
        (1, 1, [1]),
        (1, 2, [1, 2]),
        (2, 2, [1, 2]),
        (1, 5, [1, 2, 3, 4, 5]),  # 4 alone would be a gap of one page: shown instead
        (5, 5, [1, 2, 3, 4, 5]),
        (1, 6, [1, 2, 3, None, 6]),
        (4, 7, [1, 2, 3, 4, 5, 6, 7]),
        (4, 8, [1, 2, 3, 4, 5, 6, 7, 8]),
        (4, 9, [1, 2, 3, 4, 5, 6, None, 9]),
        (5, 9, [1, 2, 3, 4, 5, 6, 7, 8, 9]),
        (6, 9, [1, None, 4, 5, 6, 7, 8, 9]),
        (100, 200, [1, None, 98, 99, 100, 101, 102, None, 200]),
        (200, 200, [1, None, 198, 199, 200]),
    ],
)
def test_pager_window(n: int, total: int, expected: list[int | None]) -> None:
    assert pager_window(n, total) == expected


@pytest.mark.parametrize("total", [1, 2, 3, 7, 8, 50, 2000])
def test_every_page_shows_first_last_itself_and_a_bounded_number_of_links(total: int) -> None:
    for n in range(1, total + 1):
        window = pager_window(n, total)
        pages = [k for k in window if k is not None]
        assert pages == sorted(set(pages)) and {1, n, total} <= set(pages)
        assert set(range(max(1, n - PAGER_REACH), min(total, n + PAGER_REACH) + 1)) <= set(pages)
        assert len(window) <= 2 * PAGER_REACH + 5
        for a, b in zip(window, window[1:]):  # a gap stands for two pages or more, never for none
            if a is None:
                assert b is not None
            elif b is not None:
                assert b == a + 1
        for i, k in enumerate(window):
            if k is None:
                assert window[i + 1] - window[i - 1] > 2  # type: ignore[operator]
