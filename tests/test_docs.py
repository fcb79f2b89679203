"""Docs are part of the product: every command, option and config key appears in the README."""

from __future__ import annotations

import ast
import re

import click
import pytest

from srchgen.cli.commands import main
from srchgen.config import Config
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(main.commands))
def test_command_documented(name: str) -> None:
    assert re.search(rf"srchgen {name}\b", README), f"README does not mention `srchgen {name}`"
    command = main.commands[name]
    assert command.help, f"`srchgen {name}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts), f"README does not mention {param.opts[0]} of `srchgen {name}`"


def _subcommands() -> list[str]:
    return sorted(f"{g} {n}" for g, group in main.commands.items() if isinstance(group, click.Group) for n in group.commands)


@pytest.mark.parametrize("path", _subcommands())
def test_subcommand_documented(path: str) -> None:
    """Groups such as `srchgen gate` document each subcommand and its options too."""
    group, name = path.split()
    command = main.commands[group].commands[name]  # type: ignore[attr-defined]
    assert re.search(rf"srchgen {path}\b", README), f"README does not mention `srchgen {path}`"
    assert command.help, f"`srchgen {path}` has no help text"
    for param in command.params:
        if isinstance(param, click.Option):
            assert any(opt in README for opt in param.opts), f"README does not mention {param.opts[0]} of `srchgen {path}`"


def _attribute_docstrings(cls_name: str) -> dict[str, str]:
    """The string right under each field of a class in srchgen/config.py (read from the source,
    as pydantic's use_attribute_docstrings would, which costs every build ~10 ms of import)."""
    tree = ast.parse((REPO / "srchgen" / "config.py").read_text(encoding="utf-8"))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls_name)
    docs = {}
    for field, after in zip(cls.body, cls.body[1:]):
        if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name) and isinstance(after, ast.Expr) \
                and isinstance(after.value, ast.Constant) and isinstance(after.value.value, str):
            docs[field.target.id] = after.value.value
    return docs


CONFIG_DOCS = _attribute_docstrings("Config")


@pytest.mark.parametrize("key", sorted(k for k in Config.model_fields if k != "today"))
def test_config_key_documented(key: str) -> None:
    assert re.search(rf"`{key}`", README), f"README does not document the config key `{key}`"
    assert CONFIG_DOCS.get(key, "").strip(), f"Config.{key} has no attribute docstring"


def test_attribute_docstrings_are_read_from_the_source() -> None:
    """The reader above finds the docstrings the fields have, and only those."""
    assert CONFIG_DOCS and set(CONFIG_DOCS) <= set(Config.model_fields)
    assert "SPDX" in _attribute_docstrings("License")["id"]


def test_setup_commands_documented() -> None:
    assert "make site" in README and "make test" in README
