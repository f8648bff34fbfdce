"""Stopping a process tree on Windows.

POSIX stops a tool and everything it started with one signal to its process group. Windows has no
such group to signal, and `taskkill /T` is not everywhere (Wine's taskkill rejects it), so the tree
is found the way taskkill finds it: a Toolhelp snapshot of every process and its parent. Each
descendant is terminated, then the tool itself. A parent's id outlives the parent and is reused,
so a process counts as a child only when it was created after its parent: an unrelated program
whose long-gone parent had the same id is left alone.
"""

from __future__ import annotations

import sys

PROCESS_TERMINATE = 0x0001
PROCESS_QUERY_LIMITED_INFORMATION = 0x1000
TH32CS_SNAPPROCESS = 0x00000002
#: What Windows reports for a process ended this way (as `taskkill /F` does).
EXIT_CODE = 1


def descendants(pid: int) -> list[int]:
    """Every process started by pid, directly or not, children before grandchildren."""
    children = _children_by_parent()
    found: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop(0)
        for child in _born_after(parent, children.get(parent, [])):
            if child not in found and child != pid:
                found.append(child)
                todo.append(child)
    return found


def _children_by_parent() -> dict[int, list[int]]:
    """The snapshot as parent -> the ids that name it their parent (the idle process names itself)."""
    children: dict[int, list[int]] = {}
    for child, parent in _processes():
        if child != parent:
            children.setdefault(parent, []).append(child)
    return children


def _born_after(parent: int, candidates: list[int]) -> list[int]:
    """The candidates provably parent's children: created after it (an id outlives its process and is reused)."""
    born = _created(parent)
    provable = []
    for child in candidates:
        child_born = _created(child)
        if born is not None and child_born is not None and child_born >= born:
            provable.append(child)
    return provable


def kill_tree(pid: int) -> None:
    """Terminate pid's descendants, then pid (a process already gone is skipped)."""
    for target in [*descendants(pid), pid]:
        _terminate(target)


if sys.platform == "win32":  # pragma: no cover - Windows only
    import ctypes
    from ctypes import wintypes

    class _Entry(ctypes.Structure):
        _fields_ = [
            ("dwSize", wintypes.DWORD),
            ("cntUsage", wintypes.DWORD),
            ("th32ProcessID", wintypes.DWORD),
            ("th32DefaultHeapID", ctypes.c_size_t),
            ("th32ModuleID", wintypes.DWORD),
            ("cntThreads", wintypes.DWORD),
            ("th32ParentProcessID", wintypes.DWORD),
            ("pcPriClassBase", wintypes.LONG),
            ("dwFlags", wintypes.DWORD),
            ("szExeFile", ctypes.c_wchar * 260),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.CreateToolhelp32Snapshot.restype = wintypes.HANDLE
    _kernel32.OpenProcess.restype = wintypes.HANDLE

    def _processes() -> list[tuple[int, int]]:
        snap = _kernel32.CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0)
        if not snap or snap == wintypes.HANDLE(-1).value:
            return []
        pairs = []
        try:
            entry = _Entry()
            entry.dwSize = ctypes.sizeof(_Entry)
            more = _kernel32.Process32FirstW(wintypes.HANDLE(snap), ctypes.byref(entry))
            while more:
                pairs.append((int(entry.th32ProcessID), int(entry.th32ParentProcessID)))
                more = _kernel32.Process32NextW(wintypes.HANDLE(snap), ctypes.byref(entry))
        finally:
            _kernel32.CloseHandle(wintypes.HANDLE(snap))
        return pairs

    def _created(pid: int) -> int | None:
        """When pid was created (FILETIME ticks), or None when it cannot be asked."""
        handle = _kernel32.OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return None
        times = [wintypes.FILETIME() for _ in range(4)]
        try:
            if not _kernel32.GetProcessTimes(wintypes.HANDLE(handle), *(ctypes.byref(t) for t in times)):
                return None
        finally:
            _kernel32.CloseHandle(wintypes.HANDLE(handle))
        return (times[0].dwHighDateTime << 32) | times[0].dwLowDateTime

    def _terminate(pid: int) -> None:
        handle = _kernel32.OpenProcess(PROCESS_TERMINATE, False, pid)
        if handle:
            _kernel32.TerminateProcess(wintypes.HANDLE(handle), EXIT_CODE)
            _kernel32.CloseHandle(wintypes.HANDLE(handle))

else:

    def _processes() -> list[tuple[int, int]]:
        return []

    def _created(pid: int) -> int | None:
        return None

    def _terminate(pid: int) -> None:
        return None
