"""The machine as text, for the two commands that describe it.

`plan`: the documented lines as typed in the shell, the method's reason, the notes. `doctor`: OS,
shell, tools, what generate would run, and each problem's fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from keygen.commands.plan import Note, Plan, prompt
from keygen.host import Host, ShellInfo, ToolInfo
from keygen.host.macos import which_openssl
from keygen.host.platforms import os_label, shell_label
from keygen.host.windows import GitForWindows
from keygen.render import Text
from keygen.render.style import Style

if TYPE_CHECKING:
    # Only doctor's text reads a Doctor: `keygen plan` does not load the doctor command.
    from keygen.commands.doctor import Doctor

LABELS = {"problem": "Problem", "warning": "Warning", "tip": "Tip"}


def note_lines(notes: list[Note], p: str, style: Style) -> list[str]:
    out: list[str] = []
    for n in notes:
        out.append(f"{style.heading(LABELS[n.severity] + ':')} {n.message}")
        if n.fix:
            out.append(f"  fix: {n.fix}" if n.severity == "problem" else f"  {n.fix}")
        out += [f"  {p}{line}" for line in n.lines]
    return out


# --- keygen plan ----------------------------------------------------------------------------


def plan_text(plan: Plan, style: Style, verbose: bool = False) -> Text:
    host, choice = plan.host, plan.choice
    head = f"Plan for {os_label(host.os)}, {shell_label(plan.shell)}"
    if plan.described:
        head += " (described, not detected: the documented tools are assumed in their usual places)"
    lines = [style.heading(head)]
    if choice is None:
        return Text(lines)
    lines.append(f"Method: {choice.recipe.name} ({choice.reason})")
    if choice.tool.version_text:
        lines.append(f"Tool: {choice.executable} ({choice.tool.version_text})")
    lines.append(f"The documented lines, as typed in {shell_label(plan.typed_in)}, in an empty directory:")
    p = prompt(plan.typed_in)
    lines += [f"  {p}{line}" for line in plan.lines]
    lines += note_lines(plan.notes, p, style)
    lines.append("`keygen generate` runs these same commands for you, checks the pair and publishes it safely.")
    return Text(lines)


# --- keygen doctor --------------------------------------------------------------------------


def machine_lines(host: Host) -> list[str]:
    lines = [f"OS: {os_label(host.os)}", _shell_line(host.shell)]
    lines += [_tool_line(name, tool) for name, tool in (("openssl", host.openssl), ("ssh-keygen", host.ssh_keygen))]
    if host.os == "windows":
        lines.append(_git_line(host.git))
    if host.os == "macos" and host.openssl is not None:
        lines.append(f"  {which_openssl(host.openssl)}")
    return lines


def _shell_line(shell: ShellInfo | None) -> str:
    if shell is None:
        return "Shell: not detected"
    return f"Shell: {shell_label(shell.name)} ({shell.path or 'path unknown'}; found by {shell.source})"


def _tool_line(name: str, tool: ToolInfo | None) -> str:
    if tool is None:
        return f"{name}: not found"
    return f"{name}: {tool.path} ({tool.version_text or 'version not asked'})"


def _git_line(git: GitForWindows | None) -> str:
    if git is None:
        return "Git for Windows: not found"
    return (
        f"Git for Windows: {git.root} (found by {git.found_by}; bash {git.bash or 'missing'}, "
        f"openssl {git.openssl or 'missing'}{f', {git.openssl_version}' if git.openssl_version else ''})"
    )


def doctor_text(doc: Doctor, style: Style, verbose: bool = False) -> Text:
    plan = doc.plan
    lines = machine_lines(plan.host) + _would_run_lines(plan) + _problem_lines(doc, style)
    lines += note_lines([n for n in plan.notes if n.severity == "warning"], prompt(plan.typed_in), style)
    if not doc.problems:
        lines.append("No problems found.")
    return Text(lines, "out" if doc.ok else "err")


def _would_run_lines(plan: Plan) -> list[str]:
    """What generate would run here, as typed in this shell, or that it cannot run."""
    choice = plan.choice
    if choice is None:
        return ["generate cannot run here."]
    return [
        f"generate would run: {choice.recipe.name} ({choice.reason})",
        *(f"  {prompt(plan.typed_in)}{line}" for line in plan.lines),
    ]


def _problem_lines(doc: Doctor, style: Style) -> list[str]:
    said = doc.error.message if doc.error else None
    lines = []
    for n in doc.problems:
        if n.message == said:
            continue  # the error line below says it, with its hint
        lines.append(f"{style.heading(LABELS[n.severity] + ':')} {n.message}")
        if n.fix:
            lines.append(f"  fix: {n.fix}")
    return lines
