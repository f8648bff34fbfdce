"""`keygen rotate` and `keygen retire`: a key's replacement, led step by step from the audit log.

Amazon's advice (rotate every 90 days): make a new pair and Public Key ID, put the new keys into
the integration, then delete the old key in Integration Central, which cannot be undone. rotate
keeps no state of its own: each run reads the log, finds where the rotation stands and does or
names the one next step, so it can be left and resumed anywhere:

  start    -> a `rotate` record naming the old key and the new pair's folder, then generate there
  exchange -> the new pair has no Public Key ID yet: the Integration Central steps, `keygen exchange`
  confirm  -> the new ID is recorded but never confirmed: `keygen confirm`
  switch   -> confirmed: the SDK lines that change (old and new), Amazon's steps to delete the old
              key, `keygen retire OLD`
  done     -> the old key is retired

Every run writes a `rotate` record with the step it reached. `retire` records the old ID deleted
and moves the old pair into its folder's backups (never deleted: Amazon keeps refunds and captures
of old orders working with the new key, but a copy is the user's to throw away).
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from keygen import __version__, recipes
from keygen import host as host_mod
from keygen.audit import log as audit
from keygen.commands import generate as generate_mod
from keygen.commands.exchange import parse_id
from keygen.commands.keys import Key, table
from keygen.errors import DirUnusable, KeygenError, Refused, UsageError
from keygen.keys import checks
from keygen.outdir.publish import backup_slot
from keygen.result import Result

IN_USE = ("active", "due")


@dataclass(frozen=True)
class Options:
    public_key_id: str | None = None
    #: Where the new pair goes (default: beside the old pair's folder, named after it and today).
    out_dir: Path | None = None
    audit_log: Path | None = None
    timeout: float = generate_mod.DEFAULT_TIMEOUT_S


@dataclass
class Rotation(Result):
    command: ClassVar[str] = "rotate"
    options: Options
    old: Key | None = None
    new: Key | None = None
    new_dir: Path | None = None
    step: str | None = None
    #: The generate run this rotate made (its own record is in the log).
    generated: generate_mod.Outcome | None = None
    audit_path: Path | None = None
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "old": self.old.as_dict() if self.old else None,
            "new": self.new.as_dict() if self.new else None,
            "new_dir": str(self.new_dir) if self.new_dir else None,
            "generated": self.generated.exit_code if self.generated else None,
            "audit_log": str(self.audit_path) if self.audit_path else None,
        }


def rotate(options: Options, *, environ: Mapping[str, str] | None = None, now: _dt.datetime | None = None) -> Rotation:
    environ = os.environ if environ is None else environ
    rotation = Rotation(options)
    try:
        records, rows = _read(options.audit_log, environ, now)
        rotation.old = _old_key(options, records, rows)
        started = _started(records, rotation.old)
        rotation.new_dir = Path(started["new_dir"]) if started else _new_dir(options, rotation.old, now)
        rotation.new = _new_key(rows, rotation.new_dir, rotation.old)
        if rotation.new is None and rotation.old.state != "retired":
            _generate(rotation, environ, started is None)
        rotation.step = _step(rotation)
    except KeygenError as exc:
        rotation.error = exc
    if rotation.old is not None:
        _record(rotation, environ)
    return rotation


def _read(
    audit_log: Path | None, environ: Mapping[str, str], now: _dt.datetime | None, command: str = "rotate"
) -> tuple[list[dict[str, Any]], list[Key]]:
    path = audit.resolve(audit_log, environ)
    if audit.is_off(path):  # rotate resumes from the log and records each step; retire is its record
        raise audit.turned_off(command)
    records, _ = audit.read_if_there(path)
    return records, table(records, now or audit.utc_now(), audit.ROTATE_AFTER_DAYS)


def _old_key(options: Options, records: list[dict[str, Any]], rows: list[Key]) -> Key:
    """The key to replace: the one named, else the one a rotation under way replaces, else the one in use."""
    if options.public_key_id:
        return _by_id(rows, options.public_key_id, for_rotation=True)
    underway = [str(r.get("old_fingerprint")) for r in records if r.get("command") == "rotate"]
    candidates = [k for k in rows if k.fingerprint in underway and k.state != "retired"]
    if not candidates and underway and not any(k.state == "due" for k in rows):
        # The last rotation is finished and nothing is due: say so rather than start another.
        candidates = [k for k in rows if k.fingerprint == underway[-1]]
    candidates = candidates or [k for k in rows if k.state in IN_USE]
    if len(candidates) == 1:
        return candidates[0]
    if not candidates:
        raise UsageError(
            "no key with a Public Key ID in use is in the audit log: nothing to rotate",
            "keygen keys lists the keys the log knows; a pair without an ID needs keygen exchange first",
        )
    ids = ", ".join(str(k.public_key_id) for k in candidates)
    raise UsageError(f"which key? the audit log has {len(candidates)} in use: {ids}", "add --public-key-id ID")


def _by_id(rows: list[Key], public_key_id: str, *, for_rotation: bool = False) -> Key:
    parse_id(public_key_id)  # a malformed ID is a usage error, shown escaped
    key = next((k for k in rows if k.public_key_id == public_key_id), None)
    if key is None:
        raise UsageError(
            f"the audit log has no key with Public Key ID {public_key_id}",
            "keygen keys lists the keys and IDs it knows",
        )
    if for_rotation and key.state == "new":
        raise UsageError(f"{public_key_id} has no key in use", "keygen keys lists the keys and IDs it knows")
    return key


def _started(records: list[dict[str, Any]], old: Key) -> dict[str, Any] | None:
    """The rotation record that chose the new pair's folder for this old key, if one did."""
    mine = [r for r in records if r.get("command") == "rotate" and r.get("old_fingerprint") == old.fingerprint]
    return next((r for r in mine if isinstance(r.get("new_dir"), str)), None)


def _new_dir(options: Options, old: Key, now: _dt.datetime | None) -> Path:
    if options.out_dir is not None:
        return options.out_dir.absolute()
    day = (now or audit.utc_now()).strftime("%Y-%m-%d")
    # Beside the old pair; a folder name that cannot be printed (a hand-edited log) is not copied.
    base = Path(old.dir) if old.dir and old.dir.isprintable() else Path.cwd() / "keys"
    return base.parent / f"{base.name}-{day}"


def _new_key(rows: list[Key], new_dir: Path, old: Key) -> Key | None:
    """The newest key the log places in the new folder (rows are newest first)."""
    return next((k for k in rows if k.dir == str(new_dir) and k.fingerprint != old.fingerprint), None)


def _generate(rotation: Rotation, environ: Mapping[str, str], first: bool) -> None:
    """The new pair, by the documented commands, in its own folder beside the old one."""
    assert rotation.new_dir is not None and rotation.old is not None
    if first:
        rotation.step = "start"
        _record(rotation, environ)  # the folder is chosen: a resumed rotation finds it here
    opts = generate_mod.Options(
        out_dir=rotation.new_dir, region=rotation.old.region, timeout=rotation.options.timeout,
        audit_log=rotation.options.audit_log,
    )
    host = host_mod.detect_host()
    outcome = rotation.generated = generate_mod.generate(opts, host, environ=environ)
    rotation.warnings += outcome.warnings
    if outcome.error is not None:
        raise outcome.error
    rotation.new = Key(
        str(outcome.fingerprint), None, None, None, None, str(rotation.new_dir), outcome.started_at, None, 0.0, "new"
    )


def _step(rotation: Rotation) -> str:
    old, new = rotation.old, rotation.new
    assert old is not None
    if old.state == "retired":
        return "done"
    if new is None or new.public_key_id is None:
        return "exchange"
    return "confirm" if new.last_confirmed is None else "switch"


def _record(rotation: Rotation, environ: Mapping[str, str]) -> None:
    old, new = rotation.old, rotation.new
    assert old is not None
    entry = {
        **_who(environ, "rotate"),
        "step": rotation.step,
        "old_fingerprint": old.fingerprint,
        "old_public_key_id": old.public_key_id,
        "new_dir": str(rotation.new_dir) if rotation.new_dir else None,
        "new_fingerprint": new.fingerprint if new else None,
        "new_public_key_id": new.public_key_id if new else None,
        "result": "ok" if rotation.error is None else rotation.error.kind,
        "exit_code": rotation.exit_code,
    }
    try:
        rotation.audit_path = audit.record(rotation.options.audit_log, entry, environ)
    except OSError as exc:
        rotation.warnings.append(f"the audit log could not be written ({exc.strerror or exc})")


def _who(environ: Mapping[str, str], command: str) -> dict[str, Any]:
    return {
        "time": audit.timestamp(),
        "command": command,
        "keygen_version": __version__,
        "user": host_mod.user_name(environ),
        "host": host_mod.host_name(),
    }


@dataclass
class Retirement(Result):
    command: ClassVar[str] = "retire"
    public_key_id: str
    key: Key | None = None
    already: bool = False
    moved: list[tuple[str, str]] = field(default_factory=list)
    audit_path: Path | None = None
    error: KeygenError | None = None
    warnings: list[str] = field(default_factory=list)

    def facts(self) -> dict[str, Any]:
        return {
            "public_key_id": self.public_key_id,
            "key": self.key.as_dict() if self.key else None,
            "already_retired": self.already,
            "moved": [{"from": a, "to": b} for a, b in self.moved],
            "audit_log": str(self.audit_path) if self.audit_path else None,
        }


def retire(
    public_key_id: str, *, audit_log: Path | None = None, force: bool = False, environ: Mapping[str, str] | None = None
) -> Retirement:
    """`keygen retire ID`: the ID was deleted in Integration Central; its pair goes to the backups."""
    environ = os.environ if environ is None else environ
    done = Retirement(public_key_id)
    try:
        _, rows = _read(audit_log, environ, None, "retire")
        key = done.key = _by_id(rows, public_key_id)
        if key.state == "retired":
            done.already = True
            return done
        if not force:
            _check_replaced(key, rows)
        _move_aside(done, key)
        entry = {**_who(environ, "retire"), "public_key_id": public_key_id, "fingerprint": key.fingerprint,
                 "region": key.region, "environment": key.environment,
                 "moved_to": str(Path(done.moved[0][1]).parent) if done.moved else None, "result": "ok"}
        done.audit_path = _must_record(audit_log, entry, environ)
    except KeygenError as exc:
        done.error = exc
    return done


def _check_replaced(key: Key, rows: list[Key]) -> None:
    """Refuse to retire the last confirmed key of its region and environment (deleting it stops payments)."""
    if any(
        k.fingerprint != key.fingerprint and k.state in IN_USE and k.last_confirmed
        and (k.region, k.environment) == (key.region, key.environment)
        for k in rows
    ):
        return
    raise Refused(
        f"no other confirmed key for {key.region} {key.environment} is in the audit log: "
        f"without {key.public_key_id} every service using it stops working",
        f"finish the rotation first (keygen rotate --public-key-id {key.public_key_id}); "
        f"if the key is already deleted in Integration Central, add --force",
    )


def _move_aside(done: Retirement, key: Key) -> None:
    """Move the pair, when it is still this key, into DIR/.keygen-backups/<UTC time>/; never delete."""
    folder = Path(key.dir) if key.dir else None
    if folder is None or not (folder / recipes.PRIVATE_KEY).is_file():
        done.warnings.append(f"no private key of {key.public_key_id} where the log says ({folder}): nothing moved")
        return
    if checks.check_pair(folder / recipes.PRIVATE_KEY, None, strict=False).fingerprint != key.fingerprint:
        done.warnings.append(f"{folder / recipes.PRIVATE_KEY} is another key now: left in place")
        return
    try:
        slot = backup_slot(folder)
        for name in (recipes.PRIVATE_KEY, recipes.PUBLIC_KEY):
            if (folder / name).is_file():
                os.rename(folder / name, slot / name)
                done.moved.append((str(folder / name), str(slot / name)))
    except OSError as exc:
        raise DirUnusable(f"cannot move the old pair in {folder} aside: {exc.strerror or exc}",
                          f"check the permissions of {folder}, then run keygen retire again") from None


def _must_record(audit_log: Path | None, entry: dict[str, Any], environ: Mapping[str, str]) -> Path:
    """retire is its record: one that cannot be written is the command failing."""
    try:
        written = audit.record(audit_log, entry, environ)
    except OSError as exc:
        path = audit.resolve(audit_log, environ)
        raise DirUnusable(f"the audit log {path} could not be written ({exc.strerror or exc})",
                          "make it writable (or name another with --audit-log), then run keygen retire again") from None
    if written is None:  # turned off since _read looked: the retirement is not recorded, so not done
        raise audit.turned_off("retire")
    return written
