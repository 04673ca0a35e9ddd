"""The checksum file `schema-studio.sum`: a chain of hashes, one per migration file.

Shaped like atlas.sum: the first line is a hash over all entries, then one
`name h2:hash` line per `.sql` file of the directory (up and down files), in
name order, where each line's hash covers the line before it and the file's
content. Two branches that each add a migration both change the first line
and both append after the same last line, so git conflicts in this file; a
merge resolved by keeping both sides' lines breaks the chain, and every
command that reads the directory refuses it. File hashes are over the content
with line endings normalized to `\\n`, so a CRLF checkout is not an edit.

The first format (`h1:` lines, each the file's hash alone, no chain) is still
read and verified; `schema-studio hash` (or writing a migration) rewrites it
chained.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import hashlib
import os
import tempfile
from typing import TYPE_CHECKING

from studio.errors import ChecksumMismatch, MigrationFileError, StudioError

if TYPE_CHECKING:
    from pathlib import Path

SUM_FILE = "schema-studio.sum"


def _normalized(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n")


def source_mode() -> int:
    """The mode a file the user writes gets: 0o666 less the process's umask (0o644 under 022).

    Read from /proc where there is one: setting the umask to read it back
    would, for that instant, apply 0 to a file another thread creates.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temp file in the same folder and a rename.

    The file is never half-written. It gets the mode any file the user writes
    gets (`source_mode`): a temp file is made 0o600, and migrations are source
    files, read by the team and CI.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, source_mode())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def file_hash(data: bytes) -> str:
    """`h1:` + base64 SHA-256 of the content with line endings normalized."""
    return "h1:" + base64.b64encode(hashlib.sha256(_normalized(data)).digest()).decode()


# A file is hashed this many bytes at a time: a 45 MB migration read whole took
# 2 GB with its normalized copy and decoded text, where hashing needs neither.
CHUNK = 1 << 20


def path_hash(path: Path) -> str:
    """`file_hash` of a file read in chunks of `CHUNK` bytes, checking it is UTF-8 on the way.

    Raises:
        MigrationFileError: unreadable, or not valid UTF-8 (with the line).
    """
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0  # newlines before the chunk in hand, for the line of a UTF-8 error
    held = b""  # a chunk's last byte when it is "\r": its "\n" may open the next chunk
    try:
        with path.open("rb") as f:
            while block := f.read(CHUNK):
                chunk = held + block
                held = chunk[-1:] if chunk.endswith(b"\r") else b""
                chunk = chunk[: len(chunk) - len(held)]
                lines = _check_utf8(decoder, chunk, lines, path)
                digest.update(_normalized(chunk))
    except OSError as e:
        raise MigrationFileError(str(path), 1, f"cannot read: {e.strerror or e}") from None
    _check_utf8(decoder, held, lines, path, final=True)
    digest.update(held)
    return "h1:" + base64.b64encode(digest.digest()).decode()


def _check_utf8(
    decoder: codecs.IncrementalDecoder, chunk: bytes, lines: int, path: Path, *, final: bool = False
) -> int:
    """Feed `chunk` to the decoder; the newlines counted so far, or MigrationFileError."""
    try:
        decoder.decode(chunk, final)
    except UnicodeDecodeError as e:
        line = lines + e.object[: e.start].count(b"\n") + 1
        raise MigrationFileError(str(path), line, "not valid UTF-8") from None
    return lines + chunk.count(b"\n")


def read_file(path: Path) -> tuple[bytes, str]:
    """The bytes and UTF-8 text of a migration file (MigrationFileError when unreadable)."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise MigrationFileError(str(path), 1, f"cannot read: {e.strerror or e}") from None
    try:
        return data, data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise MigrationFileError(str(path), line, "not valid UTF-8") from None


def sql_files(directory: Path) -> list[Path]:
    """Every `.sql` file of the directory, sorted by name."""
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if p.suffix == ".sql" and p.is_file())


def link(previous: str, name: str, content: str) -> str:
    """A chained line's hash: `h2:` + base64 SHA-256 of the line before's hash, name and content."""
    digest = hashlib.sha256(f"{previous}\n{name}\n{content}".encode())
    return "h2:" + base64.b64encode(digest.digest()).decode()


def _total(prefix: str, entries: dict[str, str]) -> str:
    total = hashlib.sha256("".join(f"{n} {h}\n" for n, h in sorted(entries.items())).encode())
    return prefix + base64.b64encode(total.digest()).decode()


def compute_sum(directory: Path) -> tuple[str, dict[str, str]]:
    """The total hash and the chained hash of every `.sql` file of the directory, in name order."""
    entries: dict[str, str] = {}
    previous = ""
    for p in sql_files(directory):
        previous = entries[p.name] = link(previous, p.name, path_hash(p))
    return _total("h2:", entries), entries


def render_sum(total: str, entries: dict[str, str]) -> str:
    """The sum file's text: the total first, then `name hash` lines sorted by name."""
    return total + "\n" + "".join(f"{n} {h}\n" for n, h in sorted(entries.items()))


def write_sum(directory: Path) -> Path:
    """Rewrite `schema-studio.sum` from the files as they are now."""
    total, entries = compute_sum(directory)
    path = directory / SUM_FILE
    try:
        write_atomic(path, render_sum(total, entries))
    except OSError as e:
        raise StudioError(
            f"cannot write {path}: {e.strerror or e}",
            "check the folder's permissions and free space",
        ) from None
    return path


def read_sum(directory: Path) -> tuple[str, dict[str, str]] | None:
    """The recorded total and entries, or None when there is no sum file."""
    path = directory / SUM_FILE
    if not path.is_file():
        return None
    _, text = read_file(path)
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if line.startswith(("<<<<<<<", "=======", ">>>>>>>")):
            raise MigrationFileError(
                str(path),
                i,
                "merge conflict in the sum file: two branches added migrations; "
                "rebase your migrations after theirs (new versions), then run `schema-studio hash`",
            )
    if not lines or not lines[0].startswith(("h1:", "h2:")):
        raise MigrationFileError(str(path), 1, "the first line must be the total hash (h2:...)")
    prefix = lines[0][:3]  # h1: the first format, unchained; h2: chained
    entries: dict[str, str] = {}
    for i, line in enumerate(lines[1:], 2):
        name, _, digest = line.rpartition(" ")
        if not name or not digest.startswith(prefix):
            raise MigrationFileError(str(path), i, f"expected `<file name> {prefix}<hash>`")
        if name in entries or (entries and name < next(reversed(entries))):
            raise _chain_broken(path, i, f"{name} is out of name order or listed twice")
        entries[name] = digest
    return lines[0], entries


def _chain_broken(path: Path, line: int, why: str) -> ChecksumMismatch:
    err = _mismatch(path, f"{path}:{line}: the hash chain is broken: {why}")
    err.hint = (
        "restore the file from git; after a merge that conflicted in it, run"
        " `schema-studio rebase VERSION` on your branch's migration (or `schema-studio hash`)"
    )
    return err


def _mismatch(path: Path, message: str) -> ChecksumMismatch:
    err = ChecksumMismatch(str(path))
    err.message = message
    err.args = (message,)
    return err


def verify_sum(directory: Path) -> None:
    """Check every `.sql` file against `schema-studio.sum`.

    Raises:
        ChecksumMismatch: naming the first file edited, added without `hash`,
            or recorded but gone; or the sum file itself when it is missing.
    """
    files = sql_files(directory)
    recorded = read_sum(directory)
    if recorded is None:
        if files:
            raise _mismatch(directory / SUM_FILE, f"{directory / SUM_FILE} is missing")
        return
    total, entries = recorded
    contents = {p.name: path_hash(p) for p in files}
    chained = total.startswith("h2:")
    # each line checked against the line recorded before it, so one edit names one file
    order = list(entries)
    expected: dict[str, str] = {}
    for i, name in enumerate(order):
        if name in contents:
            previous = entries[order[i - 1]] if i else ""
            expected[name] = link(previous, name, contents[name]) if chained else contents[name]
    for name in sorted(contents):
        if name not in entries:
            raise _mismatch(directory / name, f"{directory / name} is not recorded in {SUM_FILE}")
        if entries[name] != expected[name]:
            i = order.index(name)
            if chained and any(
                entries[name] == link(p, name, contents[name])
                for p in ["", *(entries[n] for n in order[: max(i - 1, 0)])]
            ):
                # the file is as hashed, but after another line: both sides of a merge kept
                raise _chain_broken(
                    directory / SUM_FILE,
                    i + 2,
                    f"the line of {name} does not follow the line before it"
                    " (lines from two branches kept side by side?)",
                )
            raise ChecksumMismatch(str(directory / name))
    for name in sorted(entries):
        if name not in contents:
            raise _mismatch(
                directory / name,
                f"{directory / name} is recorded in {SUM_FILE} but missing on disk",
            )
    if total != _total(total[:3], entries):
        raise _mismatch(
            directory / SUM_FILE,
            f"{directory / SUM_FILE}: the total hash (first line) does not match its entries",
        )
