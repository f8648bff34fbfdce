"""The audit log's files on Windows: opened so they can be renamed while open, locked by waiting.

Python's `os.open` there shares a file for reading and writing but not for deletion, and Windows
refuses to rename a file that any handle without FILE_SHARE_DELETE holds open: the writer holding
the live file under its lock could never move it aside, so the log never rotated. CreateFileW with
FILE_SHARE_DELETE allows the rename, as POSIX does. And `msvcrt.locking` gives up after ten
one-second retries: eight writers under load waited longer, and records were lost. LockFileEx
waits as long as it takes, as flock does, and has a shared mode for readers.
"""

from __future__ import annotations

import os
import sys

GENERIC_READ = 0x80000000
GENERIC_WRITE = 0x40000000
#: FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE
SHARE_ALL = 0x1 | 0x2 | 0x4
OPEN_EXISTING = 3
OPEN_ALWAYS = 4
FILE_ATTRIBUTE_NORMAL = 0x80
LOCKFILE_EXCLUSIVE_LOCK = 0x2


if sys.platform == "win32":  # pragma: no cover - Windows only
    import ctypes
    import msvcrt
    from ctypes import wintypes

    class _Overlapped(ctypes.Structure):
        _fields_ = [
            ("Internal", ctypes.c_void_p),
            ("InternalHigh", ctypes.c_void_p),
            ("Offset", wintypes.DWORD),
            ("OffsetHigh", wintypes.DWORD),
            ("hEvent", wintypes.HANDLE),
        ]

    _kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)
    _kernel32.CreateFileW.restype = wintypes.HANDLE
    _kernel32.CreateFileW.argtypes = [
        wintypes.LPCWSTR,
        wintypes.DWORD,
        wintypes.DWORD,
        ctypes.c_void_p,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.HANDLE,
    ]
    _kernel32.LockFileEx.argtypes = [
        wintypes.HANDLE,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.DWORD,
        wintypes.DWORD,
        ctypes.c_void_p,
    ]
    _kernel32.UnlockFileEx.argtypes = [wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD, wintypes.DWORD, ctypes.c_void_p]
    _INVALID = wintypes.HANDLE(-1).value

    def open_shared(path: str | os.PathLike[str], *, write: bool) -> int:
        """A file descriptor on path that others may rename while it is open (append mode for writers;
        a writer creates the file). Raises OSError (FileNotFoundError for a missing reader's file)."""
        access = GENERIC_READ | (GENERIC_WRITE if write else 0)
        creation = OPEN_ALWAYS if write else OPEN_EXISTING
        handle = _kernel32.CreateFileW(os.fspath(path), access, SHARE_ALL, None, creation, FILE_ATTRIBUTE_NORMAL, None)
        if handle is None or handle == _INVALID:
            raise ctypes.WinError(ctypes.get_last_error())
        return msvcrt.open_osfhandle(handle, os.O_APPEND if write else os.O_RDONLY)

    def lock(fd: int, *, shared: bool) -> None:
        """Wait for the lock on the file's first byte (exclusive, or shared for readers)."""
        flags = 0 if shared else LOCKFILE_EXCLUSIVE_LOCK
        if not _kernel32.LockFileEx(msvcrt.get_osfhandle(fd), flags, 0, 1, 0, ctypes.byref(_Overlapped())):
            raise ctypes.WinError(ctypes.get_last_error())

    def unlock(fd: int) -> None:
        _kernel32.UnlockFileEx(msvcrt.get_osfhandle(fd), 0, 1, 0, ctypes.byref(_Overlapped()))

else:

    def open_shared(path: str | os.PathLike[str], *, write: bool) -> int:
        flags = os.O_RDWR | os.O_APPEND | os.O_CREAT if write else os.O_RDONLY
        return os.open(path, flags, 0o600)

    def lock(fd: int, *, shared: bool) -> None:
        return None

    def unlock(fd: int) -> None:
        return None
