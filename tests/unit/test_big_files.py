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


# --- splitting: windows and plain spans give what one lexer pass gives --------------------

# what statement splitting cares about, and what a VALUES list is made of
_PIECES = [
    "INSERT INTO t VALUES ", "CREATE TABLE t (a int)", "SELECT ", "(", ")", ", ", "1", "-1", "'a'",
    "'it''s'", "'x;y'", "'--'", "'/*'", "'a\nb'", "'", '"q"', "$$;$$", "$t$ ' $t$", "E'\\''",
    "U&'d'", ";", "\n", "\n\n", " ", "-- c\n", "/* c */", "/* ; */", "--", "/*", "*/",
    "-- schema-studio:step\n", "-- schema-studio:no-transaction\n", "-- schema-studio:ignore x y\n",
    "'-- schema-studio:step\n'", "-- schema-studio:phase expand\n", "-- version: 20250301120000\n",
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC ", "END", "CASE", "BEGIN",
    "CREATE INDEX CONCURRENTLY i ON t (a)", "é", "\r\n", "\t",
]  # fmt: skip


def _parse(text: str) -> object:
    from studio.migration_format import parse_text

    try:
        return parse_text(text, "m.sql")
    except MigrationFileError as e:
        return str(e)


def _one_pass(text: str) -> object:
    """The reference: one window over the whole text, no span skipped."""
    from studio import lexer, migration_format

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", 1 << 30)
        mp.setattr(migration_format, "plain_span", lambda *a: None)
        return _parse(text)


@settings(max_examples=400, deadline=None)
@given(parts=st.lists(st.sampled_from(_PIECES), max_size=60), window=st.integers(1, 40))
def test_windows_and_plain_spans_split_as_one_lexer_pass(parts: list[str], window: int) -> None:
    """Windows cut anywhere (inside strings, comments, tokens) and spans skipped change no step."""
    from studio import lexer

    text = "".join(parts)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", window)
        windowed = _parse(text)
    assert windowed == _one_pass(text)


_VALUES = ["1", "-2", "'a'", "'it''s'", "'x;y'", "'--'", "'a\nb'", "NULL", "'é'"]
_ODD = ["(1)", "((", "))", "now()", "1e5", "1abc", "'q' -- c\n", "/* c */", "-- schema-studio:step\n",
        "$$a$$", '"x"', "E'\\''", "'", "'\n'", ";"]  # fmt: skip
_ROW = st.lists(st.sampled_from(_VALUES) | st.sampled_from(_ODD), min_size=1, max_size=4).map(
    lambda vs: "(" + ", ".join(vs) + ")"
)


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from(["", "-- schema-studio:step\n", "-- a header\n\n"]),
    rows=st.lists(_ROW, min_size=1, max_size=15),
    tail=st.sampled_from(["", ";", ";\n", ";\nSELECT 1;\n", ";\n-- schema-studio:step\nSELECT 2"]),
    window=st.integers(1, 60),
)
def test_a_values_list_skipped_in_plain_spans_splits_as_one_lexer_pass(
    head: str, rows: list[str], tail: str, window: int
) -> None:
    """The shape the shortcut is for: rows of constants, now and then something it must not skip."""
    from studio import lexer

    text = head + "INSERT INTO t VALUES\n" + ",\n".join(rows) + tail
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(lexer, "WINDOW", window)
        windowed = _parse(text)
    assert windowed == _one_pass(text)
