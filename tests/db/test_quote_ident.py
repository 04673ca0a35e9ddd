"""`studio.model.quote_ident` against the server's own quote_ident(), on every server.

One rule quotes identifiers (the model's); the catalog's `Quoter` is that rule
with the server's keyword list and quote_all_identifiers. PostgreSQL's rule
(quote_identifier() in ruleutils.c): a name stays bare only when it is
lower-case ASCII letters, digits and underscores, does not start with a digit,
and is not a keyword other than an unreserved one.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from studio.catalog.tables import Quoter
from studio.model import QUOTED_KEYWORDS, quote_ident

TRICKY = (
    # plain, and '$' (legal in an unquoted identifier, yet quoted)
    "orders", "_x1", "a1", "a$b", "price$", "$x", "a$", "x$1",
    # upper and mixed case, digits first
    "Orders", "ORDERS", "oRders", "1abc", "9", "1$",
    # keywords: reserved, column-name, type-or-function-name, unreserved (left bare)
    "user", "select", "table", "order", "all", "int", "between", "left", "freeze", "name",
    "text", "data", "key",
    # quotes, blanks, punctuation, the empty name, a trailing newline
    'a"b', '"', '""', "a b", "a-b", "a.b", "a;b", "", " ", "abc\n", "x\ty",
    # unicode: letters, a digit-like character, a wide script, a title-case letter
    "ça", "naïve", "über", "straße", "ǅ", "日本", "ａ", "x٣", "ı",
)  # fmt: skip


async def server_quoting(url: str, names: list[str], *, quote_all: bool = False) -> dict[str, str]:
    """Each name as the server's quote_ident() writes it."""
    conn = await asyncpg.connect(url)
    try:
        if quote_all:
            await conn.execute("SET quote_all_identifiers = on")
        rows = await conn.fetch("SELECT n, quote_ident(n) AS q FROM unnest($1::text[]) AS n", names)
    finally:
        await conn.close()
    return {r["n"]: r["q"] for r in rows}


async def server_keywords(url: str) -> tuple[frozenset[str], frozenset[str]]:
    """Every keyword of the server, and those quote_ident() quotes (all but unreserved)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT word, catcode::text AS catcode FROM pg_get_keywords()")
    finally:
        await conn.close()
    words = frozenset(r["word"] for r in rows)
    return words, frozenset(r["word"] for r in rows if r["catcode"] != "U")


def differences(names: Any, ours: Any, server: dict[str, str]) -> dict[str, tuple[str, str]]:
    return {n: (ours(n), server[n]) for n in names if ours(n) != server[n]}


async def test_quote_ident_agrees_with_the_servers(db_url: str) -> None:
    """The tricky names, and every keyword of this server, quoted as the server quotes them."""
    words, quoted = await server_keywords(db_url)
    names = sorted({*TRICKY, *words, *(w.upper() for w in words), *(f"{w}$" for w in words)})
    server = await server_quoting(db_url, names)
    # the model's own list (PostgreSQL 18's): every name but a keyword this server files under
    # another category (one an older server does not have, say)
    moved = quoted ^ QUOTED_KEYWORDS
    assert differences([n for n in names if n not in moved], quote_ident, server) == {}
    # with this server's keyword list: every name
    assert differences(names, lambda n: quote_ident(n, keywords=quoted), server) == {}
    # and the catalog's Quoter is the same rule with the server's settings
    quoter = Quoter(quoted)
    assert differences(names, quoter, server) == {}

    everything = await server_quoting(db_url, names, quote_all=True)
    assert differences(names, lambda n: quote_ident(n, quote_all=True), everything) == {}
    assert differences(names, Quoter(quoted, quote_all=True), everything) == {}
