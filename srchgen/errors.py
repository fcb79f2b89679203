"""Problems: every user mistake becomes `path:line:col: message`, never a traceback."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Position:
    """1-based line and column in the record file (not in the front-matter block)."""

    line: int = 1
    col: int = 1


START = Position(1, 1)


@dataclass(frozen=True, order=True)
class Problem:
    """One error or warning; `str()` is the `path:line:col: message` line users see."""

    path: str
    line: int
    col: int
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message}"

    @classmethod
    def at(cls, path: str, pos: Position, message: str, severity: Severity = "error") -> "Problem":
        return cls(path, pos.line, pos.col, message, severity)

    def as_error(self) -> "Problem":
        return Problem(self.path, self.line, self.col, self.message, "error")

    def annotation(self) -> str:
        """The GitHub Actions workflow command for this problem (SPEC §5)."""
        kind = "error" if self.severity == "error" else "warning"
        msg = self.message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        path = self.path.replace("%", "%25").replace(",", "%2C").replace(":", "%3A")
        return f"::{kind} file={path},line={self.line},col={self.col}::{msg}"


def sort_problems(problems: Iterable[Problem]) -> list[Problem]:
    """Sorted by (path, line, col) and deduplicated, so runs report the same text."""
    return sorted(set(problems), key=lambda p: (p.path, p.line, p.col, p.message, p.severity))


class BuildFailed(Exception):
    """Raised by the library API when records are invalid; carries every problem."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{sum(p.severity == 'error' for p in problems)} errors")
        self.problems = problems


class ConfigError(Exception):
    """A usage or configuration mistake (exit code 2)."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems
