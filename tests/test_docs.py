"""Docs are part of the product: every command, option and config key appears in the README."""

from __future__ import annotations

import re

import click
import pytest

from srchgen.cli import main
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


@pytest.mark.parametrize("key", sorted(k for k in Config.model_fields if k != "today"))
def test_config_key_documented(key: str) -> None:
    assert re.search(rf"`{key}`", README), f"README does not document the config key `{key}`"
    assert Config.model_fields[key].description, f"Config.{key} has no attribute docstring"


def test_setup_commands_documented() -> None:
    assert "make site" in README and "make test" in README
