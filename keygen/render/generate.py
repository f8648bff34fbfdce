"""`keygen generate` as text: what ran, the checks that matter, the files, the next step, the record."""

from __future__ import annotations

import shlex

from keygen import recipes
from keygen.commands.generate import Outcome
from keygen.keys.advice import quote
from keygen.keys.keyfile import LINE_END_NAMES
from keygen.recipes.steps import StepRecord
from keygen.render import Text
from keygen.render.common import check_lines, next_steps
from keygen.render.style import Style


def _method_lines(outcome: Outcome, style: Style) -> list[str]:
    lines: list[str] = []
    choice = outcome.choice
    if choice:
        version = f" ({choice.tool.version_text})" if choice.tool.version_text else ""
        lines.append(f"{style.heading('Method:')} {choice.recipe.name} ({choice.reason})")
        lines.append(f"  {choice.recipe.tool} = {choice.executable}{version}")
    if outcome.literal:
        lines.append(f"Literal mode: each line typed into {outcome.literal.name} ({outcome.literal.path})")
    return lines


def _dry_run_lines(outcome: Outcome, directory: str) -> list[str]:
    o, choice = outcome.options, outcome.choice
    lines = [f"Dry run: would run in a private staging directory inside {directory}:"]
    lines += [f"  $ {s.line}" for s in choice.recipe.steps] if choice else []
    if outcome.taken and o.force:
        lines.append(f"  existing {', '.join(outcome.taken)} would be moved aside to timestamped backups")
    elif outcome.taken:
        lines.append(f"  existing {', '.join(outcome.taken)}: a real run refuses (--force moves them aside)")
    lines.append("Nothing was run or written.")
    return lines


def _status(s: StepRecord) -> str:
    if s.timed_out:
        return "timed out"
    if s.exit_code is None:
        return s.stderr or "did not finish"
    return f"exit {s.exit_code}"


def _step_lines(outcome: Outcome, directory: str, style: Style, verbose: bool) -> list[str]:
    lines = [style.heading(f"Ran, in a private staging directory inside {directory}:")]
    for s in outcome.steps:
        lines.append(f"  $ {s.line}    [{_status(s)}, {s.duration_s:.2f} s]")
        failed = s.exit_code != 0 or s.timed_out
        if failed or verbose:
            lines.append(f"    argv: {shlex.join(s.argv)} (executable {s.executable})")
        if failed:
            lines += [f"    stderr: {line}" for line in s.stderr.splitlines()[-10:]]
    return lines


def _check_lines(outcome: Outcome, style: Style, verbose: bool) -> list[str]:
    assert outcome.report is not None
    checks = outcome.report.checks
    passed = sum(c.status == "pass" for c in checks)
    shown = checks if outcome.error or verbose else [c for c in checks if c.status != "pass"]
    return [f"{style.heading('Checks:')} {passed} of {len(checks)} passed", *check_lines(shown, style)]


def _file_lines(outcome: Outcome, style: Style) -> list[str]:
    published = outcome.published
    assert published is not None
    lines = [style.heading("Files:")]
    line_ends = outcome.line_ends
    for f in published.files:
        private = f.path.endswith(recipes.PRIVATE_KEY)
        note = "  secret: never share or upload it" if private else ""
        ends = line_ends.get("private_key" if private else "public_key")
        ends_text = f", {LINE_END_NAMES[ends]} line ends" if ends else ""
        mode = f"mode {f.mode}, " if f.mode else ""
        lines.append(f"  {f.path}  {mode}{f.size} bytes{ends_text}{note}")
    lines += [f"  old {b.original} moved aside to {b.backup}" for b in published.backups]
    if outcome.side_files:
        lines.append(
            f"  not published: ssh-keygen's {', '.join(outcome.side_files)} (OpenSSH format, "
            "not the documented public key)"
        )
    lines.append(f"Public key fingerprint: {outcome.fingerprint}")
    return lines


def _closing_lines(outcome: Outcome, style: Style) -> list[str]:
    """The next step, with the exact command that records the Public Key ID, and where the record went."""
    o = outcome.options
    public = o.out_dir / recipes.PUBLIC_KEY
    lines = ["", *next_steps(o.region, style, str(public))]
    # Quoted for the shell it will be typed into (cmd and PowerShell take no POSIX single quotes).
    args = "" if str(public) == recipes.PUBLIC_KEY else f" --public-key {quote(str(public))}"
    args += f" --region {o.region}" if o.region else ""
    lines.append(f"Then record the ID it shows: keygen exchange{args} --public-key-id ID")
    if outcome.audit_path:
        lines.append(f"Audit record: {outcome.audit_path}")
    return lines


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    o = outcome.options
    if outcome.error is not None and not outcome.steps and not o.dry_run:
        return Text()  # refused or stopped before anything ran: the error line says it all
    directory = str(o.out_dir.absolute())
    lines = _method_lines(outcome, style)
    if o.dry_run:
        return Text(lines + _dry_run_lines(outcome, directory), "out" if outcome.error is None else "err")
    if outcome.steps:
        lines += _step_lines(outcome, directory, style, verbose)
    if outcome.report:
        lines += _check_lines(outcome, style, verbose)
    if outcome.published:
        lines += _file_lines(outcome, style) + _closing_lines(outcome, style)
    elif outcome.audit_path:
        lines.append(f"Audit record: {outcome.audit_path}")
    return Text(lines, "out" if outcome.error is None else "err")
