"""The templates a site is rendered from: the registry's own templates/ over the default
theme's, and the Jinja environment made of them, on first use (`Templates`).

Apart from render.py because most builds need only the folders: srchgen/render/fastpage.py writes the
default theme's pages itself, and an edit with the default theme never imports Jinja.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from srchgen.derive import rules as derive
from srchgen.render import routes
from srchgen.render.values import filesize, json_script, long_date, score, when

if TYPE_CHECKING:
    import jinja2


def theme_dir(name: str) -> Path:
    """The default theme: inside the installed package, or beside it in a source checkout."""
    pkg = Path(__file__).resolve().parent.parent  # srchgen/, this file being srchgen/render/templates.py
    for candidate in (pkg / "_theme" / name, pkg.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"srchgen's default {name}/ is missing from the installation")  # pragma: no cover


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    import jinja2

    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


def make_environment(project_templates: Path | None, bytecode_dir: Path | None = None) -> jinja2.Environment:
    """Templates from the registry's templates/ first, then the default theme; compiled templates are cached in bytecode_dir."""
    import jinja2

    loaders: list[jinja2.BaseLoader] = []
    if project_templates is not None and project_templates.is_dir():
        loaders.append(jinja2.FileSystemLoader(str(project_templates)))
    loaders.append(jinja2.FileSystemLoader(str(theme_dir("templates"))))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html", "xml", "atom"]),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(bytecode_dir),
    )
    env.globals["d"] = derive  # wording from derive/rules.py, for every template (the guide prints the checks' note)
    env.filters.update(
        long_date=long_date, when=when, score=score, filesize=filesize, plural=derive.plural, slug=routes.slug, json_script=json_script
    )
    return env


class Templates:
    """The registry's templates/ over the default theme's, and the Jinja environment made of them
    on first use (make_environment, with `globals` added): a build whose pages all come from
    srchgen/render/fastpage.py (one record edited, with the default theme) never imports Jinja (~17 ms)."""

    def __init__(self, project_templates: Path | None, bytecode_dir: Path | None = None, globals: dict[str, Any] | None = None):
        self.project = project_templates if project_templates is not None and project_templates.is_dir() else None
        self.bytecode_dir = bytecode_dir
        self.globals = globals or {}
        self._env: jinja2.Environment | None = None

    @property
    def env(self) -> jinja2.Environment:
        if self._env is None:
            self._env = make_environment(self.project, self.bytecode_dir)
            self._env.globals.update(self.globals)
        return self._env

    def theme_only(self, names: Sequence[str]) -> bool:
        """Whether the environment would load every one of `names` from the default theme: the
        registry has no file of that name (Jinja's FileSystemLoader looks for exactly that
        file, the registry's folder first) and the theme has it, not in a subfolder."""
        theme = theme_dir("templates").resolve()
        for name in names:
            if self.project is not None and (self.project / name).is_file():
                return False
            found = theme / name
            if not found.is_file() or found.resolve().parent != theme:
                return False
        return True
