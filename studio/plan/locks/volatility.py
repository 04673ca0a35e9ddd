"""Which functions an expression calls are volatile: what decides an ADD COLUMN default's cost.

PostgreSQL 11+ evaluates a non-volatile default once and stores it in the
catalog; a volatile one (`random()`, `clock_timestamp()`, `nextval()`) is
evaluated for every row, which rewrites the table. A call is resolved as
PostgreSQL would: an unqualified or `pg_catalog.` name with that many
arguments is a built-in (`builtin_functions.txt`, pg_proc of 14, 15 and 18);
else a function the context knows (created earlier, or read from the
target); else a well-known extension function; else unknown, which lint
takes to be volatile. `now()` is stable, but `now(123)` is no built-in.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from pglast import ast

from studio.plan.locks.parse import isa

_DATA = Path(__file__).with_name("builtin_functions.txt")
_RANK = {"i": 0, "s": 1, "v": 2}
_MANY = 1 << 30  # a variadic function takes any number of arguments past its minimum

# functions of common extensions, by name (uuid-ossp, pgcrypto): not in pg_catalog
EXTENSION_FUNCTIONS: Mapping[str, str] = {
    "uuid_generate_v1": "v", "uuid_generate_v1mc": "v", "uuid_generate_v4": "v",
    "uuid_generate_v3": "i", "uuid_generate_v5": "i", "uuid_nil": "i", "uuid_ns_dns": "i",
    "gen_random_bytes": "v", "gen_salt": "v", "crypt": "i", "digest": "i", "hmac": "i",
    "random_string": "v",
}  # fmt: skip


def _ranges(spec: str) -> tuple[int, int]:
    if spec.endswith("+"):
        return int(spec[:-1]), _MANY
    low, _, high = spec.partition("-")
    return int(low), int(high or low)


@cache
def _builtins() -> dict[str, tuple[tuple[int, int, str], ...]]:
    """name -> (fewest arguments, most arguments, provolatile) of each of its overloads."""
    out: dict[str, tuple[tuple[int, int, str], ...]] = {}
    for line in _DATA.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        name, *specs = line.split(" ")
        if len(specs) == 2 and specs[0] in _RANK:  # `now s 0`: one volatility for every count
            vol = specs[0]
            out[name] = tuple((*_ranges(r), vol) for r in specs[1].split(","))
        else:  # `age 1s 2i`: a volatility per count
            out[name] = tuple((*_ranges(s[:-1]), s[-1]) for s in specs)
    return out


def builtin(name: str, nargs: int) -> str | None:
    """provolatile of the built-in `name` called with `nargs` arguments (None: no such built-in).

    Overloads taking as many arguments may differ in volatility by their
    types, which lint does not know: the most volatile answers.
    """
    found = [vol for low, high, vol in _builtins().get(name, ()) if low <= nargs <= high]
    return max(found, key=_RANK.__getitem__) if found else None


def call_volatility(call: Any, known: Mapping[str, str]) -> str | None:
    """provolatile of a FuncCall: 'i', 's', 'v', or None when not known."""
    parts = [str(n.sval) for n in call.funcname]
    name, schema = parts[-1], (parts[-2] if len(parts) > 1 else None)
    nargs = len(call.args or ())
    if schema in (None, "pg_catalog") and (vol := builtin(name, nargs)) is not None:
        return vol
    if schema == "pg_catalog":
        return None
    return known.get(name.lower()) or EXTENSION_FUNCTIONS.get(name.lower())


def volatile_calls(
    expr: Any, known: Mapping[str, str] | None = None
) -> tuple[list[str], list[str]]:
    """(volatile functions, functions of unknown volatility) an expression calls.

    `known` maps a function name to 'i', 's' or 'v' (pg_proc.provolatile), for
    functions the context knows (the user's).
    """
    volatile: list[str] = []
    unknown: list[str] = []

    def walk(n: Any) -> None:
        if isa(n, ast.FuncCall):
            kind = call_volatility(n, known or {})
            name = str(n.funcname[-1].sval)
            if kind == "v":
                volatile.append(name)
            elif kind is None:
                unknown.append(name)
        if isa(n, ast.Node):
            for attr in n:
                walk(getattr(n, attr))
        elif isinstance(n, tuple):
            for x in n:
                walk(x)

    walk(expr)
    return volatile, unknown
