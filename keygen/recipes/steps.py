"""Running the recipe's steps in the staging directory: the environment, `>`, and what is recorded.

Each step runs through `run.run` (argv, never a shell, unless literal mode types the documented
line into one). What ran is kept as a `StepRecord`, appended to the caller's list as soon as it is
known, so a failure, a timeout or Ctrl-C still leaves the audit record complete.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from keygen import recipes
from keygen.errors import CommandFailed, ToolMissing
from keygen.host.platforms import OSName
from keygen.proc import run
from keygen.recipes.literal import shell_argv
from keygen.recipes.method import Choice

if TYPE_CHECKING:
    from keygen.recipes import literal

Progress = Callable[[str], None]


@dataclass(frozen=True)
class StepRecord:
    """What ran, as an auditor needs it; holds no key material."""

    line: str
    argv: tuple[str, ...]
    executable: str
    tool_version: str | None
    cwd: str
    stdout_to: str | None
    exit_code: int | None
    duration_s: float
    stderr: str
    timed_out: bool = False
    signal: int | None = None
    #: Literal mode: the shell that interpreted `line` (argv is then `[shell, -c, line]`).
    shell: str | None = None
    shell_path: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "argv": list(self.argv),
            "executable": self.executable,
            "tool_version": self.tool_version,
            "cwd": self.cwd,
            "stdout_to": self.stdout_to,
            "exit_code": self.exit_code,
            "duration_s": round(self.duration_s, 4),
            "stderr": self.stderr,
            "timed_out": self.timed_out,
            "signal": self.signal,
            "shell": {"name": self.shell, "path": self.shell_path} if self.shell else None,
        }


#: Windows askpass helper: ssh-keygen runs it for the passphrase and reads one empty line back.
ASKPASS_HELPER = "keygen-askpass.cmd"
ASKPASS_HELPER_TEXT = "@echo(\r\n"


def step_env(
    choice: Choice,
    environ: Mapping[str, str],
    *,
    os_name: OSName = "linux",
    helper_dir: Path | None = None,
    interactive: bool = False,
) -> dict[str, str]:
    """The child's environment: unchanged for openssl; for ssh-keygen, whatever makes it not ask.

    POSIX: without DISPLAY, WAYLAND_DISPLAY and the askpass variables, and with no controlling
    terminal (a new session), ssh-keygen reads the passphrase from stdin, where it finds an empty
    line: no prompt, no GUI popup, an unencrypted key, and no `-N` in argv.
    """
    env = dict(environ)
    if choice.recipe.tool != "ssh-keygen":
        return env
    for name in recipes.SSH_ASKPASS_VARS:
        env.pop(name, None)
    if os_name == "windows" and not interactive:
        env.update(windows_askpass_env(helper_dir))
    return env


def windows_askpass_env(helper_dir: Path | None) -> dict[str, str]:
    """FACTS.md's Windows route; NOT YET RUN ON REAL WINDOWS (only built and inspected in tests).

    Win32-OpenSSH reads passphrases from the console with _getwch(), never from stdin, so the
    Linux trick cannot work there. It asks the SSH_ASKPASS program instead when
    SSH_ASKPASS_REQUIRE=force (8.6 and later), or, in 7.7 and 8.1, when DISPLAY is set and stdin is
    a pipe (keygen's stdin is one). The helper prints an empty line: the empty passphrase.
    """
    if helper_dir is None:
        return {}
    helper = helper_dir / ASKPASS_HELPER
    fd = os.open(helper, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o700)
    with os.fdopen(fd, "w", encoding="ascii", newline="") as f:
        f.write(ASKPASS_HELPER_TEXT)
    return {"SSH_ASKPASS": str(helper), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": "keygen:0"}


class _Ending(TypedDict):
    """How a step ended, as StepRecord's fields."""

    exit_code: int | None
    duration_s: float
    stderr: str
    timed_out: bool
    signal: int | None


def _ending(done: run.Completed | None, started: float, why: str) -> _Ending:
    """From the step's completion, or, when it never finished, the time it had run and `why` in place of its stderr."""
    if done is None:
        return _Ending(exit_code=None, duration_s=time.monotonic() - started, stderr=why, timed_out=False, signal=None)
    return _Ending(
        exit_code=done.returncode,
        duration_s=done.duration_s,
        stderr=run.trim_stderr(done.stderr),
        timed_out=done.timed_out,
        signal=done.signal,
    )


#: Where an interactive child's stdout goes when the step has no `>`: the terminal's stderr, so
#: that `--json` keeps stdout to its one object.
_STDERR_FD = 2


@dataclass(frozen=True)
class Runner:
    """Everything the steps share: the choice, where they run, how, and where records go."""

    choice: Choice
    staging: Path
    timeout: float
    env: Mapping[str, str]
    shell: literal.LiteralShell | None
    interactive: bool
    records: list[StepRecord]
    progress: Progress | None = None

    def argv_for(self, step: recipes.Step) -> tuple[tuple[str, ...], str, str | None]:
        if self.shell is not None:
            return shell_argv(self.shell.name, step.line), self.shell.path, None
        return step.argv, self.choice.executable, step.stdout_to

    def io(self, fd: int | None) -> dict[str, Any]:
        # Interactive: the person at the terminal answers ssh-keygen's prompts, so it shares our
        # session (the terminal and Ctrl-C reach it) and the terminal is its stdin and stderr.
        if self.interactive:
            return {"stdout_fd": fd if fd is not None else _STDERR_FD, "new_session": False, "inherit_stdio": True}
        # ssh-keygen reads an empty passphrase (and its confirmation) here; openssl reads nothing.
        stdin = b"\n\n" if self.choice.recipe.tool == "ssh-keygen" else None
        return {"stdout_fd": fd, "stdin_data": stdin}

    def record(
        self,
        step: recipes.Step,
        argv: tuple[str, ...],
        executable: str,
        started: float,
        done: run.Completed | None,
        why: str = "",
    ) -> StepRecord:
        """The audit view of one step; `done` is None when it never finished (`why` says what happened)."""
        shell = self.shell
        return StepRecord(
            line=step.line,
            argv=argv,
            executable=executable,
            tool_version=self.choice.tool.version_text,
            cwd=str(self.staging),
            stdout_to=step.stdout_to,
            **_ending(done, started, why),
            shell=shell.name if shell else None,
            shell_path=shell.path if shell else None,
        )

    def run_one(self, step: recipes.Step) -> None:
        if self.progress:
            self.progress(f"running: {step.line}" + (f"  (typed into {self.shell.name})" if self.shell else ""))
        argv, executable, stdout_to = self.argv_for(step)
        self.claim_key_file(step)
        fd = self.open_stdout(stdout_to)
        started = time.monotonic()
        try:
            done = self.launch(step, argv, executable, started, fd)
        finally:
            if fd is not None:
                os.close(fd)
        ran = self.record(step, argv, executable, started, done)
        self.records.append(ran)
        self.judge(step, done, ran)

    def open_stdout(self, stdout_to: str | None) -> int | None:
        """keygen's own `>`: a new file in the private staging directory, never an existing one."""
        if not stdout_to:
            return None
        return os.open(
            self.staging / stdout_to, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600
        )

    def claim_key_file(self, step: recipes.Step) -> None:
        """The private key openssl is to write (`-out`), made here first: empty, owner-only.

        LibreSSL (macOS's openssl) opens `-out` with the umask's mode, 0644 under the usual 022; the
        child's umask 077 covers that, but not a shell in literal mode whose start-up file (zsh
        reads ~/.zshenv even for `-c`) sets the umask again. openssl opens an existing file for
        writing without changing its mode, so the key is 0600 from its first byte whatever the umask.
        """
        target = _written_by(step)
        if self.choice.recipe.tool != "openssl" or target is None:
            return
        fd = os.open(self.staging / target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            if hasattr(os, "fchmod"):
                os.fchmod(fd, 0o600)  # keygen's own umask may not be 077; this file is keygen's
        finally:
            os.close(fd)

    def launch(
        self, step: recipes.Step, argv: tuple[str, ...], executable: str, started: float, fd: int | None
    ) -> run.Completed:
        """Run the step; a step that could not start or was interrupted is recorded before the error goes up."""
        try:
            return run.run(
                argv,
                executable=executable,
                cwd=self.staging,
                timeout=self.timeout,
                env=self.env,
                **self.io(fd),
            )
        except OSError as exc:
            self.records.append(self.record(step, argv, executable, started, None, f"could not start: {exc.strerror}"))
            if not self.staging.is_dir():
                raise  # the directory went away under us: generate() reports it as such
            raise ToolMissing(
                f"cannot run {executable}: {exc.strerror}", "check that the tool is installed and executable"
            ) from None
        except KeyboardInterrupt:
            # The step ran and was stopped: the audit record must show it (no exit code of its own).
            self.records.append(self.record(step, argv, executable, started, None, "interrupted"))
            raise

    def judge(self, step: recipes.Step, done: run.Completed, ran: StepRecord) -> None:
        if done.timed_out:
            raise CommandFailed(
                f"`{step.line}` did not finish within {self.timeout:g} s and was stopped",
                "raise --timeout, or check that the tool is not waiting for input",
            )
        if not done.ok:
            how = f"was killed by signal {done.signal}" if done.signal else f"exited {done.returncode}"
            detail = f": {ran.stderr.splitlines()[-1]}" if ran.stderr else ""
            via = f" (typed into {self.shell.name})" if self.shell else ""
            raise CommandFailed(
                f"`{step.line}`{via} {how}{detail}", "see the command's error output above; the tool itself failed"
            )
        self.judge_success(step, done)

    def judge_success(self, step: recipes.Step, done: run.Completed) -> None:
        """Exit 0 is not enough: LibreSSL's openssl (macOS's) exits 0 for an invalid command, after
        saying so on stderr. A step that printed an error, or left its output missing or empty,
        failed, and is reported in its own words here rather than as the next step's failure."""
        errors = run.error_lines(done.stderr)
        output = _output_of(step)
        # A staging directory gone from under the tool is generate's to report (exit 6), not the tool's.
        empty = output is not None and self.staging.is_dir() and _empty(self.staging / output)
        if not errors and not empty:
            return
        via = f" (typed into {self.shell.name})" if self.shell else ""
        said = f": {errors[0]}" if errors else f", but {output} is missing or empty"
        raise CommandFailed(
            f"`{step.line}`{via} failed although it exited 0{said}",
            f"{self.tool_name()} reports some failures with exit status 0; see its error output above",
        )

    def tool_name(self) -> str:
        """The tool as its version names it: "LibreSSL's openssl" on a Mac's /usr/bin/openssl."""
        tool = self.choice.tool
        return f"{tool.flavor}'s {tool.name}" if tool.flavor and tool.flavor != "OpenSSH" else tool.name

    def run_all(self) -> None:
        for step in self.choice.recipe.steps:
            self.run_one(step)


def _written_by(step: recipes.Step) -> str | None:
    """The file a step names with `-out` (genpkey's private key)."""
    argv = step.argv
    return argv[argv.index("-out") + 1] if "-out" in argv[:-1] else None


def _output_of(step: recipes.Step) -> str | None:
    """The file a step must leave with something in it: its `>` target, or its `-out`."""
    return step.stdout_to or _written_by(step)


def _empty(path: Path) -> bool:
    try:
        return path.stat().st_size == 0
    except OSError:
        return True
