"""Rendering outcomes for people (text) and programs (one JSON object)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import TYPE_CHECKING, Any

from keygen import __version__, amazon_pay, audit, recipes
from keygen.errors import KeygenError

if TYPE_CHECKING:  # rendering verify, exchange or audit output need not import the generate machinery
    from keygen.checks import Check
    from keygen.generate import Outcome


def dumps(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def error_dict(error: KeygenError | None) -> dict[str, Any] | None:
    return error.as_dict() if error else None


def regions_for(region: str | None) -> list[amazon_pay.Region]:
    return [amazon_pay.REGIONS[region]] if region else list(amazon_pay.REGIONS.values())


def next_steps(region: str | None, public_key: str = recipes.PUBLIC_KEY) -> list[str]:
    """The exchange for a Public Key ID, in our words (the steps follow Integration Central's labels).

    `public_key` is the file as the user named it (or as generate wrote it)."""
    lines = [f"Next: trade {public_key} for a Public Key ID in Amazon Pay Integration Central."]
    for r in regions_for(region):
        lines.append(f"  {r.code.upper()} ({r.name}): {r.integration_central}")
    lines += [
        '  1. Sign in, choose the "Self-developed" integration, keep the default payment type',
        '     ("One-time Payments, Single Authorization") and click "Get instructions".',
        '  2. In "API keys", click "Create keys" and pick "Use an existing public key to create',
        '     API credentials".',
        f"  3. Give the keys a name that says who uses them and for what, paste {public_key},",
        '     and click "Create keys". Integration Central shows the Public Key ID.',
        f"  Upload only {public_key}: Integration Central reads the public key. The private key stays with",
        "  you (the SDKs read it): keep it secret and backed up.",
    ]
    return lines


def _planned_steps(outcome: Outcome) -> list[dict[str, Any]]:
    choice = outcome.choice
    if choice is None:
        return []
    return [
        {
            "line": s.line,
            "argv": list(s.argv),
            "executable": choice.executable,
            "tool_version": choice.tool.version_text,
            "stdout_to": s.stdout_to,
            "exit_code": None,
        }
        for s in choice.recipe.steps
    ]


def generate_json(outcome: Outcome) -> dict[str, Any]:
    o, choice, host = outcome.options, outcome.choice, outcome.host
    return {
        "command": "generate",
        "keygen_version": __version__,
        "ok": outcome.error is None,
        "exit_code": outcome.exit_code,
        "dry_run": o.dry_run,
        "dir": str(o.out_dir.absolute()),
        "host": {
            "os": host.os,
            "shell": {"name": host.shell.name, "path": host.shell.path, "source": host.shell.source}
            if host.shell
            else None,
        },
        "method": {
            "name": choice.recipe.name,
            "reason": choice.reason,
            "executable": choice.executable,
            "tool_version": choice.tool.version_text,
        }
        if choice
        else None,
        "literal": {"shell": outcome.literal.name, "path": outcome.literal.path} if outcome.literal else None,
        "interactive": o.interactive,
        "steps": [s.as_dict() for s in outcome.steps] if not o.dry_run else _planned_steps(outcome),
        "checks": [c.as_dict() for c in outcome.report.checks] if outcome.report else [],
        "fingerprint": outcome.fingerprint,
        "line_ends": outcome.line_ends,
        "files": [vars(f) for f in outcome.published.files] if outcome.published else [],
        "backups": [vars(b) for b in outcome.published.backups] if outcome.published else [],
        "existing": outcome.taken,
        "side_files_not_published": outcome.side_files,
        "next": {
            "public_key": str(o.out_dir.absolute() / recipes.PUBLIC_KEY),
            "integration_central": [
                {"region": r.code, "name": r.name, "url": r.integration_central} for r in regions_for(o.region)
            ],
        },
        "audit_log": str(outcome.audit_path) if outcome.audit_path else None,
        "warnings": outcome.warnings,
        "error": error_dict(outcome.error),
    }


def _status_mark(check: Check) -> str:
    return {"pass": "ok  ", "warn": "WARN", "fail": "FAIL"}[check.status]


def check_lines(checks: list[Check], indent: str = "  ") -> list[str]:
    lines = []
    for c in checks:
        lines.append(f"{indent}{_status_mark(c)} {c.name}: {c.summary}")
        if c.fix and c.status != "pass":
            lines.append(f"{indent}     fix: {c.fix}")
    return lines


def generate_text(outcome: Outcome) -> str:
    o, choice = outcome.options, outcome.choice
    if outcome.error is not None and not outcome.steps and not o.dry_run:
        return ""  # refused or stopped before anything ran: the error line says it all
    lines: list[str] = []
    directory = str(o.out_dir.absolute())
    if choice:
        lines.append(f"Method: {choice.recipe.name} ({choice.reason})")
        lines.append(
            f"  {choice.recipe.tool} = {choice.executable}"
            + (f" ({choice.tool.version_text})" if choice.tool.version_text else "")
        )
    if outcome.literal:
        lines.append(f"Literal mode: each line typed into {outcome.literal.name} ({outcome.literal.path})")
    if o.dry_run:
        lines.append(f"Dry run: would run in a private staging directory inside {directory}:")
        lines += [f"  $ {s.line}" for s in choice.recipe.steps] if choice else []
        if outcome.taken and o.force:
            lines.append(f"  existing {', '.join(outcome.taken)} would be moved aside to timestamped backups")
        elif outcome.taken:
            lines.append(f"  existing {', '.join(outcome.taken)}: a real run refuses (--force moves them aside)")
        lines.append("Nothing was run or written.")
        return "\n".join(lines)
    if outcome.steps:
        lines.append("Ran, in a private staging directory inside " + directory + ":")
        for s in outcome.steps:
            status = "timed out" if s.timed_out else f"exit {s.exit_code}"
            lines.append(f"  $ {s.line}    [{status}, {s.duration_s:.2f} s]")
            if s.exit_code != 0 or s.timed_out:
                lines.append(f"    argv: {shlex.join(s.argv)} (executable {s.executable})")
                for err_line in s.stderr.splitlines()[-10:]:
                    lines.append(f"    stderr: {err_line}")
    if outcome.report:
        passed = sum(c.status == "pass" for c in outcome.report.checks)
        lines.append(f"Checks: {passed} of {len(outcome.report.checks)} passed")
        shown = outcome.report.checks if outcome.error else [c for c in outcome.report.checks if c.status != "pass"]
        lines += check_lines(shown)
    if outcome.published:
        from keygen.checks import LINE_END_NAMES  # loaded already: the checks ran

        lines.append("Files:")
        line_ends = outcome.line_ends
        for f in outcome.published.files:
            private = f.path.endswith(recipes.PRIVATE_KEY)
            note = "  secret: never share or upload it" if private else ""
            style = line_ends.get("private_key" if private else "public_key")
            ends = f", {LINE_END_NAMES[style]} line ends" if style else ""
            lines.append(f"  {f.path}  mode {f.mode}, {f.size} bytes{ends}{note}")
        for b in outcome.published.backups:
            lines.append(f"  old {b.original} moved aside to {b.backup}")
        if outcome.side_files:
            lines.append(
                f"  not published: ssh-keygen's {', '.join(outcome.side_files)} (OpenSSH format, "
                "not the documented public key)"
            )
        lines.append(f"Public key fingerprint: {outcome.fingerprint}")
        lines.append("")
        lines += next_steps(o.region, str(o.out_dir / recipes.PUBLIC_KEY))
    return "\n".join(lines)


def audit_json(
    log: Path, records: list[dict[str, Any]], problems: list[audit.Problem], last: int | None
) -> dict[str, Any]:
    now = audit.utc_now()
    return {
        "command": "audit",
        "path": str(log),
        "records": list(audit.iter_last(records, last)),
        "skipped": [vars(p) for p in problems],
        "keys": [k.as_dict(now) for k in audit.key_history(records)],
    }


def audit_text(log: Path, records: list[dict[str, Any]], last: int | None) -> str:
    """One line per record (and the steps it ran), then the keys by fingerprint; `--last` limits only
    the records."""
    if not records:
        return f"No records in {log}."
    lines = []
    for r in audit.iter_last(records, last):
        if r.get("command") == "exchange":
            lines.append(audit.exchange_line(r))
            continue
        if r.get("command") == "confirm":
            lines.append(audit.confirm_line(r))
            continue
        lines.append(
            f"{r.get('time', '?')}  {r.get('command', '?')}  {r.get('result', '?')} (exit {r.get('exit_code')})  "
            f"{r.get('method', '?')}  {r.get('dir', '?')}  {r.get('fingerprint') or '-'}"
        )
        steps = "; ".join(s.get("line", "?") for s in r.get("steps", []) if isinstance(s, dict))
        if steps:
            lines.append(f"    ran: {steps}")
    keys = audit.key_history(records)
    if keys:
        lines += audit.key_lines(keys, audit.utc_now())
    return "\n".join(lines)
