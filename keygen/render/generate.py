"""`keygen generate` (and `keygen public-key`, its second line alone) as text: what ran, the checks that
matter, the files, the next step, the record."""

from __future__ import annotations

import shlex
from typing import TYPE_CHECKING

from keygen import recipes
from keygen.commands.generate import Outcome
from keygen.commands.public_key import Outcome as PublicKeyOutcome
from keygen.keys.keyfile import LINE_END_NAMES
from keygen.recipes.steps import StepRecord
from keygen.render import Text, reporting
from keygen.render.common import check_lines, next_steps, record_command, region_note
from keygen.render.style import Style

if TYPE_CHECKING:
    from keygen.outdir.publish import Published, PublishedFile


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
    choice = outcome.choice
    lines = [f"Dry run: would run in a private staging directory inside {directory}:"]
    lines += [f"  $ {s.line}" for s in choice.recipe.steps] if choice else []
    return [*lines, *_taken_lines(outcome), "Nothing was run or written."]


def _taken_lines(outcome: Outcome) -> list[str]:
    """What a dry run says about key files already in DIR: moved aside with --force, else refused."""
    if not outcome.taken:
        return []
    taken = ", ".join(outcome.taken)
    if outcome.options.force:
        return [f"  existing {taken} would be moved aside to timestamped backups"]
    return [f"  existing {taken}: a real run refuses (--force moves them aside)"]


def _status(s: StepRecord) -> str:
    if s.timed_out:
        return "timed out"
    if s.exit_code is None:
        return s.stderr or "did not finish"
    return f"exit {s.exit_code}"


def _step_lines(outcome: Outcome, directory: str, style: Style, verbose: bool) -> list[str]:
    if not outcome.steps:
        return []
    lines = [style.heading(f"Ran, in a private staging directory inside {directory}:")]
    for s in outcome.steps:
        lines += _ran_lines(s, verbose)
    return lines


def _ran_lines(s: StepRecord, verbose: bool) -> list[str]:
    """One step: the line and how it ended; for a failed step (or with -v) its argv, and its last stderr lines."""
    lines = [f"  $ {s.line}    [{_status(s)}, {s.duration_s:.2f} s]"]
    failed = s.exit_code != 0 or s.timed_out
    if failed or verbose:
        lines.append(f"    argv: {shlex.join(s.argv)} (executable {s.executable})")
    if failed:
        lines += [f"    stderr: {line}" for line in s.stderr.splitlines()[-10:]]
    return lines


def _check_lines(outcome: Outcome, style: Style, verbose: bool) -> list[str]:
    if outcome.report is None:
        return []
    checks = outcome.report.checks
    passed = sum(c.status == "pass" for c in checks)
    shown = checks if outcome.error or verbose else [c for c in checks if c.status != "pass"]
    return [f"{style.heading('Checks:')} {passed} of {len(checks)} passed", *check_lines(shown, style)]


def _result_lines(outcome: Outcome, style: Style) -> list[str]:
    """The published files and what comes next; without them, where the record of the attempt went."""
    if outcome.published:
        return _file_lines(outcome.published, outcome, style) + _closing_lines(outcome, style)
    return _audit_lines(outcome)


def _file_lines(published: Published, outcome: Outcome, style: Style) -> list[str]:
    line_ends = outcome.line_ends
    lines = [style.heading("Files:"), *(_file_line(f, line_ends) for f in published.files)]
    lines += [f"  old {b.original} moved aside to {b.backup}" for b in published.backups]
    if outcome.side_files:
        lines.append(
            f"  not published: ssh-keygen's {', '.join(outcome.side_files)} (OpenSSH format, "
            "not the documented public key)"
        )
    lines.append(f"Public key fingerprint: {outcome.fingerprint}")
    return lines


def _file_line(f: PublishedFile, line_ends: dict[str, str | None]) -> str:
    """A published file: its mode, size and line ends; the private key with its warning."""
    private = f.path.endswith(recipes.PRIVATE_KEY)
    note = "  secret: never share or upload it" if private else ""
    ends = line_ends.get("private_key" if private else "public_key")
    ends_text = f", {LINE_END_NAMES[ends]} line ends" if ends else ""
    mode = f"mode {f.mode}, " if f.mode else ""
    return f"  {f.path}  {mode}{f.size} bytes{ends_text}{note}"


def _closing_lines(outcome: Outcome, style: Style) -> list[str]:
    """The next step, with the exact command that records the Public Key ID, and where the record went."""
    o = outcome.options
    public = o.out_dir / recipes.PUBLIC_KEY
    lines = ["", *next_steps(o.region, style, str(public))]
    lines.append(f"Then record the ID it shows{region_note(o.region)}: {record_command(public, o.region)}")
    return lines + _audit_lines(outcome)


def _audit_lines(outcome: Outcome | PublicKeyOutcome) -> list[str]:
    return [f"Audit record: {outcome.audit_path}"] if outcome.audit_path else []


def text(outcome: Outcome, style: Style, verbose: bool = False) -> Text:
    o = outcome.options
    if outcome.error is not None and not outcome.steps and not o.dry_run:
        return Text()  # refused or stopped before anything ran: the error line says it all
    directory = str(o.out_dir.absolute())
    lines = _method_lines(outcome, style)
    if o.dry_run:
        return reporting(lines + _dry_run_lines(outcome, directory), outcome.error)
    lines += _step_lines(outcome, directory, style, verbose) + _check_lines(outcome, style, verbose)
    return reporting(lines + _result_lines(outcome, style), outcome.error)


def public_key_text(outcome: PublicKeyOutcome, style: Style, verbose: bool = False) -> Text:
    """`keygen public-key`: the line that ran, the checks (all when one failed), the file, the record."""
    if outcome.error is not None and not outcome.steps:
        # Refused, or the private key failed before anything ran: its checks say why.
        return reporting(check_lines(outcome.report.failed, style) if outcome.report else [], outcome.error)
    lines: list[str] = []
    if outcome.choice:
        lines.append(f"{style.heading('Method:')} openssl = {outcome.choice.executable} ({outcome.choice.reason})")
    lines.append(style.heading("Ran, in a private staging directory beside the new file:"))
    for s in outcome.steps:
        lines += _ran_lines(s, verbose)
    report = outcome.report
    if report is not None:
        shown = report.checks if outcome.error or verbose else [c for c in report.checks if c.status != "pass"]
        passed = sum(c.status == "pass" for c in report.checks)
        lines += [f"{style.heading('Checks:')} {passed} of {len(report.checks)} passed", *check_lines(shown, style)]
    if outcome.published:
        f = outcome.published
        lines.append(f"{style.heading('Wrote:')} {f.path}  {f'mode {f.mode}, ' if f.mode else ''}{f.size} bytes")
        lines.append(f"Public key fingerprint: {outcome.report.fingerprint if outcome.report else '-'}")
    return reporting(lines + _audit_lines(outcome), outcome.error)
