"""One bot per spool: the spool holds the bot's identity and its unfiled requests, so two
processes on one spool would both poll as the same instance and file every request twice.

The lock is an advisory `flock` on `<spool>.lock`, held for the life of the process. The kernel
drops it when the process dies, however it dies, so a bot killed with SIGKILL never blocks
its own restart and there is no stale lock to detect.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import BinaryIO

from envconfig import ConfigError


def lock_path(spool_path: Path) -> Path:
    # resolve(): a spool reached through a symlink or a relative path gets the same lock.
    spool = spool_path.resolve()
    return spool.with_name(spool.name + ".lock")


def lock_spool(spool_path: Path) -> BinaryIO:
    """Take the spool for this process; raises ConfigError while another bot holds it.

    Keep the returned file open (e.g. `with lock_spool(path):`) for as long as the bot runs.
    """
    path = lock_path(spool_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # No O_TRUNC: the holder's pid must stay readable until we own the lock.
        handle = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+b")
    except OSError as error:
        raise ConfigError("BOT_SPOOL_PATH", f"cannot create {path}: {error.strerror}") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = handle.read().decode(errors="replace").strip()
        handle.close()
        raise ConfigError("BOT_SPOOL_PATH", in_use_message(spool_path, holder)) from None
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    return handle


def in_use_message(spool_path: Path, holder: str) -> str:
    # The holder writes its pid just after locking; a reader in between sees an empty file.
    who = f"another running bot (pid {holder})" if holder.isdigit() else "another running bot"
    return f"{spool_path} is in use by {who}; a standby bot needs its own BOT_SPOOL_PATH"
