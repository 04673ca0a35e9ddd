"""A 45 MB migration: hashing streams, splitting is linear, status and lint parse no more than they need.

The figures live in docs/reliability.md (bench/big_migration.py); these tests
pin the shapes that keep them, without a clock: chunked reads, work counted
per window, parsers made to fail where they must not be called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studio import checksums
from studio.errors import MigrationFileError

if TYPE_CHECKING:
    from pathlib import Path


# --- checksums ----------------------------------------------------------------------


def _outcome(fn: Any, *args: Any) -> tuple[str | None, str | None]:
    try:
        return fn(*args), None
    except MigrationFileError as e:
        return None, str(e)


@settings(max_examples=300, deadline=None)
@given(
    data=st.binary(max_size=60)
    | st.lists(st.sampled_from([b"a", b"\r", b"\n", b"\xc3\xa9", b"\xc3", b"'"]), max_size=30).map(
        b"".join
    )
)
def test_the_streamed_hash_is_the_hash_of_the_whole_file(
    data: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """CRLF pairs and UTF-8 sequences cut by a chunk boundary change neither the hash nor the error's line."""
    path = tmp_path_factory.mktemp("sum") / "m.sql"
    path.write_bytes(data)
    whole = _outcome(lambda p: checksums.file_hash(checksums.read_file(p)[0]), path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(checksums, "CHUNK", 3)
        assert _outcome(checksums.path_hash, path) == whole


def test_hashing_reads_a_file_in_bounded_chunks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never the whole file at once: memory stays flat whatever the migration's size."""
    path = tmp_path / "m.sql"
    path.write_bytes(b"INSERT INTO t VALUES (1);\r\n" * 10_000)
    sizes: list[int] = []
    real_open = type(path).open

    def recording_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        f = real_open(self, *args, **kwargs)
        real_read = f.read

        class Reader:
            def __enter__(self) -> Self:
                return self

            def __exit__(self, *exc: object) -> None:
                f.close()

            def read(self, size: int = -1) -> bytes:
                sizes.append(size)
                return real_read(size)

        return Reader()

    monkeypatch.setattr(checksums, "CHUNK", 4096)
    monkeypatch.setattr(type(path), "open", recording_open)
    digest = checksums.path_hash(path)
    monkeypatch.undo()
    assert sizes and all(0 < s <= 4096 for s in sizes)
    assert digest == checksums.file_hash(path.read_bytes())
