"""Jinja's code generator, writing cheaper Python for the same templates (issue 22).

Jinja compiles each template to a Python module (jinja2.compiler.CodeGenerator walks the parse
tree and writes its source). That compiled code is general: every `{{ value }}` goes through
markupsafe's `escape` (a Python function that builds a Markup object only to be joined into
the page), every `a.b` through `Environment.getattr` (a method call with a try/except), every
call `f(x)` through `Context.call` (which checks whether `f` wants the context), and every
fragment of text is yielded on its own, through each level of `{% extends %}`. A record page
is ~270 such fragments and ~150 values, so Jinja spent ~300 µs on a page that is ~50 µs of work.

`FastCodeGenerator` is a subclass that keeps Jinja's parser, scoping, inheritance, includes,
macros, loops, filters and undefined handling as they are, and changes what six kinds of node
compile to, each to code with the same result:

- an output statement: one `yield ''.join((...))` per run of text and values between tags,
  instead of one `yield` per fragment; a block: its whole text in one `yield`;
- a printed value: `escape_text(value)` when it is a plain `str` (markupsafe's C function,
  no Markup object), else `str(escape(value))` exactly as before (Markup, numbers, undefined);
- `a.b`: Python's `getattr(a, "b", missing)`, then, only when the attribute is missing, what
  `Environment.getattr` does next: the item `a["b"]`, or undefined;
- `a ~ b`: plain strs joined directly (markup_join otherwise);
- `f(x)`: called directly when `f` is a plain function, method or builtin that does not ask
  for the context (`jinja_pass_arg`, set by `pass_context` and its kin); else `Context.call`.

Every template goes through it: the default theme's and a registry's own (templates/), so both
are equally fast. tests/test_codegen.py renders every page of many registries with this
generator and with Jinja's own and compares the bytes. What differs is only how errors surface
in one corner: a callable that raises StopIteration inside a template is an error here (Python
turns it into RuntimeError), where Jinja prints it as undefined.
"""

from __future__ import annotations

import types
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.runtime import markup_join
from markupsafe import Markup, escape
from markupsafe._speedups import _escape_inner as escape_text

# Bump when the generated code changes: compiled templates are cached on disk under this name.
VERSION = "2"

# Callables that cannot carry `jinja_pass_arg` (builtins), and Python's own functions and bound
# methods, which carry it in their function's __dict__ when pass_context and its kin set it.
BUILTIN_CALLABLES = frozenset({types.BuiltinFunctionType, types.MethodWrapperType, types.MethodDescriptorType})
FUNCTION, METHOD = types.FunctionType, types.MethodType


def escape_value(value: Any) -> str:
    """What Jinja prints for `{{ value }}` with autoescaping on (str(escape(value))), for any value
    but a plain str: Markup is printed as it is (its __html__ is itself) and an int is digits."""
    kind = type(value)
    if kind is Markup or kind is int:
        return value if kind is Markup else str(value)
    return str(escape(value))


def join_text(parts: tuple[Any, ...]) -> str:
    """`a ~ b` with autoescaping on: plain strs joined as they are, anything else as Jinja's
    markup_join does (which asks every part for __html__, a failed lookup on each str)."""
    for part in parts:
        if type(part) is not str:
            return markup_join(parts)  # type: ignore[no-any-return]
    return "".join(parts)


def item(environment: jinja2.Environment, obj: Any, name: str) -> Any:
    """`obj.name` when obj has no such attribute: Environment.getattr's second step, obj["name"]
    (a dict's key), or undefined. (Environment.getattr would first try the attribute again, and
    a failed attribute lookup costs more than the whole lookup that follows.)"""
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        return environment.undefined(obj=obj, name=name)


class FastCodeGenerator(CodeGenerator):
    """Jinja's CodeGenerator with cheaper code for output, attributes and calls (module docstring)."""

    def visit_Template(self, node: nodes.Template, frame: Frame | None = None) -> None:
        self.writeline(
            "from srchgen.render.codegen import escape_text as _srch_text, escape_value as _srch_value,"
            " BUILTIN_CALLABLES as _srch_builtin, FUNCTION as _srch_function, METHOD as _srch_method, item as _srch_item, join_text as _srch_join"
        )
        super().visit_Template(node, frame)

    def _plain(self, frame: Frame) -> bool:
        """Whether output in `frame` is escaped the one ordinary way (autoescape on, not switched
        at run time, no `finalize`): the case this generator writes its own code for."""
        return bool(frame.eval_ctx.autoescape) and not frame.eval_ctx.volatile and not self.environment.finalize

    def _write_escaped(self, node: nodes.Expr, frame: Frame) -> None:
        tmp = self.temporary_identifier()
        self.write(f"(_srch_text({tmp}) if type({tmp} := ")
        self.visit(node, frame)
        self.write(f") is str else _srch_value({tmp}))")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        if self._plain(frame):  # inside macros and {% set %} blocks (buffered output)
            self.write("_srch_value(")
        else:
            super()._output_child_pre(node, frame, finalize)

    def visit_Output(self, node: nodes.Output, frame: Frame) -> None:
        if frame.buffer is not None or not self._plain(frame):
            super().visit_Output(node, frame)
            return
        if frame.require_output_check:
            if self.has_known_extends:  # a child template prints nothing outside its blocks
                return
            self.writeline("if parent_template is None:")
            self.indent()
        items: list[str | nodes.Expr] = []  # constant text (folded at compile time, as Jinja does) or a node
        for child in node.nodes:
            try:
                text = str(escape(child.as_const(frame.eval_ctx)))
            except Exception:  # nodes.Impossible, or an error better raised when the page renders
                items.append(child)
                continue
            if items and isinstance(items[-1], str):
                items[-1] += text
            else:
                items.append(text)
        if len(items) == 1 and isinstance(items[0], str):
            self.writeline(f"yield {items[0]!r}")
        else:
            self.writeline("yield ''.join((")
            for item in items:
                if isinstance(item, str):
                    self.write(repr(item))
                else:
                    self._write_escaped(item, frame)
                self.write(", ")
            self.write("))")
        if frame.require_output_check:
            self.outdent()

    def visit_Block(self, node: nodes.Block, frame: Frame) -> None:
        """A block printed where it stands, in one piece: `yield concat(block(context))` instead
        of passing each of its pieces up through this template's generator (and, for a child
        template's blocks, through its own root's too)."""
        if self.environment.is_async or frame.buffer is not None or node.required or node.scoped:
            super().visit_Block(node, frame)
            return
        if frame.toplevel and self.has_known_extends:
            return
        nested = frame.toplevel and self.extends_so_far > 0
        if nested:
            self.writeline("if parent_template is None:")
            self.indent()
        self.writeline(f"yield concat(context.blocks[{node.name!r}][0]({self.get_context_ref()}))", node)
        if nested:
            self.outdent()

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        if not self._plain(frame):
            super().visit_Concat(node, frame)
            return
        self.write("_srch_join((")
        for part in node.nodes:
            self.visit(part, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Getattr(self, node: nodes.Getattr, frame: Frame) -> None:
        if self.environment.is_async or self.environment.sandboxed:
            super().visit_Getattr(node, frame)
            return
        obj, value = self.temporary_identifier(), self.temporary_identifier()
        self.write(f"({value} if ({value} := getattr(({obj} := ")
        self.visit(node.node, frame)
        self.write(f"), {node.attr!r}, missing)) is not missing else _srch_item(environment, {obj}, {node.attr!r}))")

    @optimizeconst
    def visit_Call(self, node: nodes.Call, frame: Frame, forward_caller: bool = False) -> None:
        if forward_caller or node.dyn_args or node.dyn_kwargs or self.environment.is_async or self.environment.sandboxed:
            super().visit_Call(node, frame, forward_caller=forward_caller)
            return
        func = self.temporary_identifier()
        self.write(f"({func}(")
        for arg in node.args:
            self.visit(arg, frame)
            self.write(", ")
        for kwarg in node.kwargs:  # as a mapping: a Python keyword is a valid Jinja keyword argument
            self.write(f"**{{{kwarg.key!r}: ")
            self.visit(kwarg.value, frame)
            self.write("}, ")
        self.write(f") if type({func} := ")
        self.visit(node.node, frame)
        # Whether it asks for the context, read from the function's __dict__: hasattr() on a bound
        # method that lacks the attribute costs 8 x the call (an AttributeError raised and caught).
        self.write(
            f") in _srch_builtin or (type({func}) is _srch_method and 'jinja_pass_arg' not in {func}.__func__.__dict__)"
            f" or (type({func}) is _srch_function and 'jinja_pass_arg' not in {func}.__dict__)"
            f" else context.call({func}"
        )
        extra = {}
        if frame.loop_frame:
            extra["_loop_vars"] = "_loop_vars"
        if frame.block_frame:
            extra["_block_vars"] = "_block_vars"
        self.signature(node, frame, extra or None)
        self.write("))")


class FastEnvironment(jinja2.Environment):
    """An Environment whose templates compile with FastCodeGenerator, and whose globals are a
    plain dict per template: Jinja's ChainMap over the environment's globals is iterated in
    Python each time a context is made (every page, include and part). So the environment's
    globals must be complete before the first template loads (templates.Templates sets them
    when it makes the environment)."""

    code_generator_class = FastCodeGenerator

    def make_globals(self, d: Any) -> Any:
        return {**self.globals, **(d or {})}
