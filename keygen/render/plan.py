"""`keygen plan` as text: the documented lines as typed in the shell, the method's reason, the notes."""

from __future__ import annotations

from keygen.commands.plan import Note, Plan, prompt
from keygen.host.platforms import os_label, shell_label
from keygen.render import Text
from keygen.render.style import Style

LABELS = {"problem": "Problem", "warning": "Warning", "tip": "Tip"}


def note_lines(notes: list[Note], p: str, style: Style) -> list[str]:
    out: list[str] = []
    for n in notes:
        out.append(f"{style.heading(LABELS[n.severity] + ':')} {n.message}")
        if n.fix:
            out.append(f"  fix: {n.fix}" if n.severity == "problem" else f"  {n.fix}")
        out += [f"  {p}{line}" for line in n.lines]
    return out


def text(plan: Plan, style: Style, verbose: bool = False) -> Text:
    host, choice = plan.host, plan.choice
    head = f"Plan for {os_label(host.os)}, {shell_label(plan.shell)}"
    if plan.described:
        head += " (described, not detected: the documented tools are assumed in their usual places)"
    lines = [style.heading(head)]
    if choice is None:
        return Text(lines)
    lines.append(f"Method: {choice.recipe.name} ({choice.reason})")
    lines.append(f"The documented lines, as typed in {shell_label(plan.typed_in)}, in an empty directory:")
    p = prompt(plan.typed_in)
    lines += [f"  {p}{line}" for line in plan.lines]
    lines += note_lines(plan.notes, p, style)
    lines.append("`keygen generate` runs these same commands for you, checks the pair and publishes it safely.")
    return Text(lines)
