"""`keygen doctor` as text: OS, shell, tools, what generate would run, and each problem's fix."""

from __future__ import annotations

from keygen.commands.doctor import Doctor
from keygen.commands.plan import prompt
from keygen.host import Host
from keygen.host.platforms import os_label, shell_label
from keygen.render import Text
from keygen.render.plan import LABELS, note_lines
from keygen.render.style import Style


def machine_lines(host: Host) -> list[str]:
    shell = host.shell
    lines = [
        f"OS: {os_label(host.os)}",
        f"Shell: {shell_label(shell.name)} ({shell.path or 'path unknown'}; found by {shell.source})"
        if shell
        else "Shell: not detected",
    ]
    for name, tool in (("openssl", host.openssl), ("ssh-keygen", host.ssh_keygen)):
        lines.append(
            f"{name}: not found"
            if tool is None
            else f"{name}: {tool.path} ({tool.version_text or 'version not asked'})"
        )
    if host.os == "windows":
        git = host.git
        lines.append(
            f"Git for Windows: {git.root} (found by {git.found_by}; bash {git.bash or 'missing'}, "
            f"openssl {git.openssl or 'missing'})"
            if git
            else "Git for Windows: not found"
        )
    return lines


def text(doc: Doctor, style: Style, verbose: bool = False) -> Text:
    plan = doc.plan
    lines = machine_lines(plan.host)
    choice = plan.choice
    if choice:
        lines.append(f"generate would run: {choice.recipe.name} ({choice.reason})")
        lines += [f"  {prompt(plan.typed_in)}{line}" for line in plan.lines]
    else:
        lines.append("generate cannot run here.")
    said = doc.error.message if doc.error else None
    for n in doc.problems:
        if n.message == said:
            continue  # the error line below says it, with its hint
        lines.append(f"{style.heading(LABELS[n.severity] + ':')} {n.message}")
        if n.fix:
            lines.append(f"  fix: {n.fix}")
    lines += note_lines([n for n in plan.notes if n.severity == "warning"], prompt(plan.typed_in), style)
    if not doc.problems:
        lines.append("No problems found.")
    return Text(lines, "out" if doc.ok else "err")
