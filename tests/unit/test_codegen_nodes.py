"""FastCodeGenerator (srchgen/render/codegen.py) against Jinja's own code generator, one construct at a
time: each template below renders the same text both ways, or fails both ways with the same
kind of error (StrictUndefined, as the build's environment has)."""

from __future__ import annotations

import jinja2
import pytest
from markupsafe import Markup

from srchgen.render import codegen


class Obj:
    """Attributes, a method, a property, and an item only reachable as an item."""

    title = "Tom & <Jerry> \"quoted\" 'single'"
    count = 3
    none = None
    flag = True
    html = Markup("<b>safe</b>")

    def __getitem__(self, key: str) -> str:
        if key == "only_item":
            return "from __getitem__ <&>"
        raise KeyError(key)

    def greet(self, who: str, punct: str = "!") -> str:
        return f"hi {who}{punct}"

    @property
    def prop(self) -> str:
        return "a property <p>"


@jinja2.pass_context
def ctx_name(context: jinja2.runtime.Context, suffix: str) -> str:
    return str(context.get("name")) + suffix


@jinja2.pass_environment
def env_flag(environment: jinja2.Environment, value: str) -> str:
    return f"{value}:{environment.autoescape is not False}"


@jinja2.pass_eval_context
def eval_flag(eval_ctx: jinja2.nodes.EvalContext, value: str) -> str:
    return f"{value}:{eval_ctx.autoescape}"


class Callable:
    def __call__(self, x: str) -> str:
        return f"called {x}"


VALUES = {
    "o": Obj(),
    "d": {"name": "a dict's <value>", "items": [1, 2]},
    "name": "N&M",
    "items": ["a", "<b>", Markup("<i>c</i>"), 4, None, 2.5],
    "empty": [],
    "f": lambda x, y=1: f"lambda {x} {y}",
    "ctx_name": ctx_name,
    "env_flag": env_flag,
    "eval_flag": eval_flag,
    "callable": Callable(),
    "builtin": len,
    "n": 7,
    "big": 10**20,
    "b": False,
    "m": Markup("<em>marked</em>"),
    "kw": {"class": "k"},
}

LAYOUT = "<head>{% block head %}H{% endblock %}</head><body>{% block body %}{% endblock %}</body>{{ name }}\n"
MACROS = "{% macro row(x, sep='|') %}<{{ x }}{{ sep }}{{ caller() if caller is defined else '' }}>{% endmacro %}"
INCLUDED = "[{{ name | default('no name') }}{{ local_var | default('-') }}]"

CASES = {
    "text only": "plain <text> & more",
    "str escaped": "{{ name }} {{ o.title }}",
    "markup as is": "{{ m }}{{ o.html }}{{ m ~ name }}",
    "int float none bool": "{{ n }} {{ big }} {{ 2.5 }} {{ o.none }} {{ b }} {{ o.flag }} {{ -n }}",
    "constants folded": "{{ 'a<b' }}{{ 1 + 2 }}{{ '<x>' ~ 'y' }}",
    "attribute": "{{ o.count }} {{ o.prop }}",
    "attribute falls back to item": "{{ d.name }} {{ o.only_item }}",
    "item falls back to attribute": "{{ d['name'] }} {{ o['title'] }}",
    "missing attribute is undefined": "{{ o.nothing is defined }} {{ d.nothing is defined }}",
    "printing undefined fails": "{{ o.nothing }}",
    "printing an undefined name fails": "{{ no_such_name }}",
    "method call": "{{ o.greet('you') }} {{ o.greet(who='them', punct='?') }}",
    "lambda and default args": "{{ f(1) }} {{ f(1, y='<2>') }}",
    "builtin call": "{{ builtin(items) }} {{ name.lower() }} {{ name.replace('&', '+') }}",
    "pass_context": "{{ ctx_name('-x') }}{% for i in items[:1] %}{{ ctx_name(i) }}{% endfor %}",
    "pass_environment and eval_context": "{{ env_flag('e') }} {{ eval_flag('v') }}",
    "callable object": "{{ callable('me') }}",
    "python keyword as keyword argument": "{{ dict(class='c', for='f')|dictsort }}",
    "star args": "{{ f(*[1, 2]) }} {{ f(**{'x': 3}) }}",
    "concat": "{{ name ~ '/' ~ n ~ m }}{{ (name ~ n)|length }}",
    "filters": "{{ items|join(', ') }} {{ name|lower }} {{ o.title|truncate(9, true, '…', 0) }} {{ items|length }} {{ name|safe }}",
    "tests": "{{ o.none is none }} {{ n is odd }} {{ name is string }}",
    "comparisons and logic": "{{ n > 3 and name }} {{ not b }} {{ n if b else 'no' }} {{ 'in' if 'a' in items }}",
    "loop": "{% for i in items %}{{ loop.index }}{{ i }}{% if not loop.last %},{% endif %}{% endfor %}",
    "loop else": "{% for i in empty %}{{ i }}{% else %}none <here>{% endfor %}",
    "loop with filter and recursion": "{% for i in [[1, [2]], 3] recursive %}({% if i is iterable %}{{ loop(i) }}{% else %}{{ i }}{% endif %}){% endfor %}",
    "set and set block": "{% set x = name ~ '!' %}{{ x }}{% set y %}<{{ name }}>{% endset %}{{ y }}{{ y|length }}",
    "namespace": "{% set ns = namespace(total=0) %}{% for i in [1, 2] %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}",
    "filter block": "{% filter upper %}a {{ name }} b{% endfilter %}",
    "autoescape off block": "{% autoescape false %}{{ name }}{{ o.title }}{% endautoescape %}{{ name }}",
    "macro with caller": MACROS + "{{ row(name) }}{% call row('c', sep='&') %}inner {{ name }}{% endcall %}",
    "whitespace control": "a  {%- if true -%}  b  {%- endif -%}  c\n  {{- name -}}  \n",
    "raw": "{% raw %}{{ not evaluated }}{% endraw %}",
    "with": "{% with a = name %}{{ a }}{% endwith %}",
    "include": "{% set local_var = '<L>' %}{% include 'included.html' %}{% include 'included.html' without context %}",
    "extends and super": "{% extends 'layout.html' %}{% block head %}{{ super() }}+{{ name }}{% endblock %}{% block body %}{{ o.title }}{% endblock %}",
    "import macros": "{% import 'macros.html' as m %}{{ m.row('i') }}{% from 'macros.html' import row %}{{ row(n) }}",
    "dict and list literals": "{{ {'a': name, 'b': [n, m]}['b'][1] }} {{ [1, 2, 3][1:] }}",
    "xml template escaping": "{{ o.title }}",
}


def _environment(fast: bool) -> jinja2.Environment:
    loader = jinja2.DictLoader({"layout.html": LAYOUT, "macros.html": MACROS, "included.html": INCLUDED, **{f"case{i}.html": s for i, s in enumerate(CASES.values())}})
    cls = codegen.FastEnvironment if fast else jinja2.Environment
    env = cls(loader=loader, autoescape=jinja2.select_autoescape(["html", "xml"]), undefined=jinja2.StrictUndefined,
              keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    env.globals["site_wide"] = "g"
    return env


FAST, JINJA = _environment(True), _environment(False)


def _render(env: jinja2.Environment, name: str) -> tuple[str, str]:
    try:
        return "ok", env.get_template(name).render(**VALUES)
    except Exception as e:  # the kind of error, compared both ways
        return "error", type(e).__name__


@pytest.mark.parametrize("i,case", list(enumerate(CASES)), ids=list(CASES))
def test_a_construct_renders_the_same_both_ways(i: int, case: str) -> None:
    fast, jinja = _render(FAST, f"case{i}.html"), _render(JINJA, f"case{i}.html")
    assert fast == jinja
    assert fast[0] == ("error" if "fails" in case else "ok"), fast


def test_the_fast_environment_compiles_with_the_fast_generator() -> None:
    source = FAST.compile(CASES["method call"], raw=True)
    assert "_srch_text(" in source and "context.call(" in source  # a direct call, with context.call kept for callables that want it
    assert "escape(" not in JINJA.compile(CASES["text only"], raw=True) and "_srch" not in JINJA.compile(CASES["method call"], raw=True)


@pytest.mark.parametrize("value,printed", [
    ("a<b", "a&lt;b"), (Markup("<b>"), "<b>"), (3, "3"), (-2, "-2"), (True, "True"), (None, "None"), (2.5, "2.5"),
    (Markup("&amp;"), "&amp;"), ("", ""), ("'\"&", "&#39;&#34;&amp;"),
])
def test_escape_value_prints_what_jinja_prints(value: object, printed: str) -> None:
    assert codegen.escape_value(value) == printed == str(jinja2.utils.markupsafe.escape(value))


@pytest.mark.parametrize("parts", [("a", "b"), ("a", Markup("<b>")), (Markup("<i>"), "<"), (), ("<", 1)])
def test_join_text_joins_as_markup_join_does(parts: tuple[object, ...]) -> None:
    assert codegen.join_text(parts) == jinja2.runtime.markup_join(parts)
