"""The templates a site is rendered from: the registry's own templates/ over the default
theme's, and the Jinja environment made of them, on first use (`Templates`).

Every template, the theme's and a registry's own alike, is compiled by srchgen/render/codegen.py's
FastCodeGenerator (Jinja's parser and semantics, cheaper generated Python): the templates are
the one source of every page, and a registry that customises one pays no more for it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Any

from srchgen.derive import rules as derive
from srchgen.render import routes
from srchgen.render.values import badge_width, filesize, json_script, long_date, score, when

if TYPE_CHECKING:
    import jinja2


def theme_dir(name: str) -> Path:
    """The default theme: inside the installed package, or beside it in a source checkout."""
    pkg = Path(__file__).resolve().parent.parent  # srchgen/, this file being srchgen/render/templates.py
    for candidate in (pkg / "_theme" / name, pkg.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"srchgen's default {name}/ is missing from the installation")  # pragma: no cover


def _bytecode_cache(folder: Path | None, fast: bool) -> jinja2.BytecodeCache | None:
    import jinja2

    from srchgen.render import codegen

    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    # The cache is keyed by the template's source only: name the generator in the file name, so
    # code compiled by another generator (or an older FastCodeGenerator) is never loaded.
    generator = f"fast{codegen.VERSION}" if fast else "jinja"
    return jinja2.FileSystemBytecodeCache(str(folder), pattern=f"__srchgen_{generator}_%s.cache")


def make_environment(project_templates: Path | None, bytecode_dir: Path | None = None, fast: bool = True) -> jinja2.Environment:
    """Templates from the registry's templates/ first, then the default theme; compiled templates
    are cached in bytecode_dir. `fast`: compiled by codegen.FastCodeGenerator (every build); False
    gives Jinja's own code generator, which the tests compare it with."""
    import jinja2

    from srchgen.render import codegen

    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None and project_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    loaders.append(jinja2.FileSystemLoader(str(theme_dir("templates"))))
    env = (codegen.FastEnvironment if fast else jinja2.Environment)(
        loader=jinja2.ChoiceLoader(loaders),
        # asked again for every context (each page, include and part): answered once per template name
        autoescape=functools.lru_cache(maxsize=None)(jinja2.select_autoescape(["html", "xml", "atom"])),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(bytecode_dir, fast),
    )
    env.globals["badge_width"] = badge_width  # a status badge's width (render/badges.py draws it)
    env.globals["d"] = derive  # wording from derive/rules.py, for every template (the guide prints the checks' note)
    env.filters.update(
        long_date=long_date, when=when, score=score, filesize=filesize, plural=derive.plural, slug=routes.slug, json_script=json_script
    )
    return env


class Templates:
    """The registry's templates/ over the default theme's, and the Jinja environment made of them
    on first use (make_environment, with `globals` added): a build that renders nothing (no
    record changed) never imports Jinja."""

    def __init__(self, project_templates: Path | None, bytecode_dir: Path | None = None, globals: dict[str, Any] | None = None, fast: bool = True):
        self.project = project_templates if project_templates is not None and project_templates.is_dir() else None
        self.bytecode_dir = bytecode_dir
        self.globals = globals or {}
        self.fast = fast
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = make_environment(self.project, self.bytecode_dir, self.fast)
            self._env.globals.update(self.globals)
        return self._env
