"""The CLI reference, written at build time from the Typer app itself, so it cannot drift.

A MkDocs hook (mkdocs.yml `hooks:`): a page holding the line `<!-- keygen-cli-reference -->` gets
it replaced by one section per command, found by walking the Click command tree Typer builds
(`typer.main.get_command`; this Typer vendors Click as `typer._click`, which mkdocs-click cannot
read): each command's usage line, its help, and a table of every argument and option with its
type, default and help. A command added to `keygen.cli.app` appears here with no edit to the docs;
tests/test_docs_site.py checks that every command and every option is on the built page.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MARKER = "<!-- keygen-cli-reference -->"


def root_command() -> Any:
    import typer.main

    from keygen.cli.app import app

    return typer.main.get_command(app)


Walked = Iterator[tuple[tuple[str, ...], Any, Any]]


def walk(command: Any, path: tuple[str, ...] = ("keygen",), parent: Any = None) -> Walked:
    """(path, command, context) for the root and every subcommand, depth first, in help order."""
    ctx = command.context_class(command, info_name=path[-1], parent=parent)
    yield path, command, ctx
    if hasattr(command, "list_commands"):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None and not getattr(sub, "hidden", False):
                yield from walk(sub, (*path, name), ctx)


def _cell(text: object) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _names(param: Any) -> str:
    if param.param_type_name == "argument":
        # Not a code span: a table cell's escaped `|` stays escaped inside one.
        return param.human_readable_name.upper().replace("|", "\\|")
    return ", ".join(f"`{o}`" for o in (*param.opts, *param.secondary_opts))


def _kind(param: Any) -> str:
    if getattr(param, "is_flag", False):
        return "flag"
    choices = getattr(param.type, "choices", None)
    if choices:
        return " \\| ".join(f"`{c}`" for c in choices)
    return str(param.type.name).upper()


def _default(param: Any) -> str:
    default = param.default
    if getattr(param, "is_flag", False) or default is None or default == () or callable(default):
        return ""
    return f"`{default}`"


def section(path: tuple[str, ...], command: Any, ctx: Any) -> str:
    title = " ".join(path)
    usage = " ".join([title, *command.collect_usage_pieces(ctx)])
    lines = [f"## `{title}`", "", "```", usage, "```", ""]
    if command.help:
        lines += [" ".join(command.help.split()), ""]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    if params:
        lines += ["| argument or option | takes | default | what it does |", "| --- | --- | --- | --- |"]
        for p in params:
            help_text = getattr(p, "help", None) or ("required" if p.required else "")
            lines.append(f"| {_names(p)} | {_kind(p)} | {_cell(_default(p))} | {_cell(help_text)} |")
        lines.append("")
    return "\n".join(lines)


def markdown() -> str:
    return "\n".join(section(path, command, ctx) for path, command, ctx in walk(root_command()))


def on_page_markdown(markdown_text: str, **_: Any) -> str:
    if MARKER in markdown_text:
        return markdown_text.replace(MARKER, markdown())
    return markdown_text
