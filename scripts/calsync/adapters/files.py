"""Files and streams the commands read or write: the payload, the team map and its lock file."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import IO

from calsync.core.errors import ConfigError, InputError
from calsync.core.payload import (
    MAX_PAYLOAD_BYTES,
    RawPayload,
    check_size,
    decode,
    encoded_size,
)
from calsync.core.team_lock import LockEntry, lock_file_name, merge_lock, parse_lock
from calsync.core.team_map import MAX_CONFIG_BYTES, TeamMap, parse_team_map


def load_payload(*, arg: str | None, pasted: str, trigger: str, stdin: IO[str]) -> RawPayload:
    """Read, decode and unwrap the payload from the first source that is set."""
    if arg is not None:
        if arg == "-":
            return decode(_read_stream(stdin, "--payload -"), "--payload - (stdin)")
        return decode(_read_file(Path(arg), "--payload"), "--payload file")
    if pasted.strip():
        if pasted.lstrip().startswith(("{", "[", '"')):
            check_size(encoded_size(pasted), "CALENDLY_PAYLOAD")
            return decode(pasted, "CALENDLY_PAYLOAD (raw JSON)")
        path = Path(pasted.strip())
        if not path.is_file():
            raise InputError("CALENDLY_PAYLOAD: neither JSON (it must start with '{') nor a file")
        return decode(_read_file(path, "CALENDLY_PAYLOAD"), "CALENDLY_PAYLOAD (file)")
    if trigger.strip():
        return decode(_read_file(Path(trigger.strip()), "TRIGGER_PAYLOAD"), "TRIGGER_PAYLOAD")
    raise InputError(
        "no payload: pass --payload PATH|-, or paste the Calendly webhook JSON into "
        "CALENDLY_PAYLOAD, or trigger the pipeline so GitLab sets TRIGGER_PAYLOAD"
    )


def _read_file(path: Path, what: str) -> str:
    try:
        size = path.stat().st_size
        check_size(size, what)
        with path.open(encoding="utf-8") as fh:
            return _read_stream(fh, what)
    except FileNotFoundError:
        raise InputError(f"{what}: file not found") from None
    except IsADirectoryError:
        raise InputError(f"{what}: is a directory, not a file") from None
    except PermissionError:
        raise InputError(f"{what}: file is not readable") from None
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None


def _read_stream(stream: IO[str], what: str) -> str:
    """Read at most 1 MB + 1 byte; a real stream is read as bytes and decoded strictly (the
    process's stdin may be set to turn bad bytes into surrogate escapes)."""
    binary = getattr(stream, "buffer", None)
    try:
        if binary is not None:
            data = binary.read(MAX_PAYLOAD_BYTES + 1)
            check_size(len(data), what)
            return bytes(data).decode("utf-8")
        text = stream.read(MAX_PAYLOAD_BYTES + 1)
    except UnicodeDecodeError:
        raise InputError(f"{what}: not UTF-8 text") from None
    check_size(encoded_size(text), what)
    return text


def load_team_map(path: Path, *, lock: bool = True) -> TeamMap:
    """Read and validate the team map at `path`; raise ConfigError listing every problem.

    With ``lock`` (the default) the members of each team's `calendly_group` come from the lock
    file next to the map (`<map stem>.lock.yaml`); a group team without an entry is an error.
    """
    team_map = _load_map(path)
    if not lock or not any(t.calendly_group for t in team_map.teams.values()):
        return team_map
    return merge_lock(
        team_map, read_lock(lock_path(path)), source=str(path), lock_name=lock_path(path).name
    )


def lock_path(map_path: Path) -> Path:
    """Where the lock file of the team map at `map_path` lives: next to it."""
    return map_path.with_name(lock_file_name(map_path.name))


def read_lock(path: Path) -> dict[str, LockEntry] | None:
    """The lock file's entries, or None when there is no lock file."""
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            why = f"larger than {MAX_CONFIG_BYTES // 1024} KiB"
        else:
            return parse_lock(path.read_text(encoding="utf-8"), source=str(path))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        why = f"cannot read the lock file ({type(err).__name__})"
    raise ConfigError(f"{path}: {why}", (f"(file): {why}",))


def write_lock(path: Path, text: str) -> None:
    """Replace the lock file atomically (a reader never sees half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _load_map(path: Path) -> TeamMap:
    try:
        if path.stat().st_size > MAX_CONFIG_BYTES:
            why = f"larger than {MAX_CONFIG_BYTES // 1024} KiB (a team map is a few KB)"
        else:
            return _parse_map(path.read_text(encoding="utf-8"), str(path))
    except (OSError, UnicodeDecodeError) as err:
        why = _UNREADABLE.get(type(err), f"cannot read the team map ({type(err).__name__})")
    raise ConfigError(f"{path}: {why}", (f"{path}: (file): {why}",))


@functools.lru_cache(maxsize=8)
def _parse_map(text: str, source: str) -> TeamMap:
    """The same text parses to the same (frozen) map: parsed once per process, however often
    a command (or the tests' in-process CLI) asks. A map with problems raises every time."""
    return parse_team_map(text, source=source)


_UNREADABLE = {
    FileNotFoundError: "team map not found (pass --config PATH)",
    IsADirectoryError: "is a directory, not a team map file",
    PermissionError: "cannot read the team map (permission denied)",
    UnicodeDecodeError: "cannot read the team map (not UTF-8 text)",
}
