"""The JSON form of the model: `Schema.to_json` and `Schema.from_json`.

A generic codec over frozen dataclasses: a dataclass is an object of its
fields in declaration order, fields equal to their default left out; a dict
is an object with sorted keys; a tuple is a list; an enum is its value. The
text is exactly what `json.dumps(tree, ensure_ascii=False)` prints for that
tree.

At 3,000 tables this is what `inspect --format json` and every cached load
pay, so each dataclass gets one generated encoder and one generated decoder
(direct attribute access, one specialised line per field), and the encoder
writes JSON text itself: a part shared by identity (introspection shares
identical columns between tables) is written once and its text reused, where
`json.dumps` would walk it again for every table.
"""

from __future__ import annotations

import dataclasses
import enum
import gc
import json
import types
import typing
from functools import cache
from json.encoder import encode_basestring
from typing import Any

# per call: id(part) -> (part, its text); the part is kept so its id is not reused
Memo = dict[int, tuple[Any, str]]
Encoder = typing.Callable[[Any, Memo], str]

_MISSING = object()


def encode(value: Any, *, indent: int | None = None) -> str:
    """`value` as JSON text (sorted dict keys, dataclass defaults left out)."""
    # a list per object written and no reference cycles: the cyclic collector
    # would walk the whole model again and again (15-25 ms at 3,000 tables)
    enabled = gc.isenabled()
    gc.disable()
    try:
        text = _text(value, {})
    finally:
        if enabled:
            gc.enable()
    if indent is None:
        return text
    # the compact text is json.dumps of a tree of dicts, lists and scalars; reading
    # it back gives that tree again, so this prints what json.dumps(tree, indent) would
    return json.dumps(json.loads(text), indent=indent, ensure_ascii=False)


def decode(tp: Any, text: str) -> Any:
    """Read JSON text that `encode` wrote back into a value of type `tp`."""
    # Tens of thousands of new objects and no reference cycles among them: the
    # cyclic collector would only walk them over and over (at 3,000 tables, a
    # third of the time this takes).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _decoder(tp)(json.loads(text))
    finally:
        if enabled:
            gc.enable()


# --- encoding ---------------------------------------------------------------

_PLAIN, _DATACLASS, _ENUM, _DICT, _TUPLE = range(5)


@cache
def _kind(cls: type) -> int:
    if issubclass(cls, enum.Enum):  # before str: a StrEnum is a str too
        return _ENUM
    if dataclasses.is_dataclass(cls):
        return _DATACLASS
    if issubclass(cls, dict):
        return _DICT
    if issubclass(cls, tuple):
        return _TUPLE
    return _PLAIN


def _text(value: Any, memo: Memo) -> str:
    """Any value's JSON text: the generic path, for what a generated line does not expect."""
    cls: type = type(value)
    if cls is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if cls is int:
        return int.__repr__(value)
    kind = _kind(cls)
    if kind == _DATACLASS:
        return _encoder(cls)(value, memo)
    if kind == _ENUM:
        return _text(value._value_, memo)  # `.value` is a property: slower, same thing
    if kind == _DICT:
        items = [_key(k) + ": " + _text(value[k], memo) for k in sorted(value)]
        return "{" + ", ".join(items) + "}"
    if kind == _TUPLE:
        return "[" + ", ".join([_text(v, memo) for v in value]) + "]"
    # anything else (a float, a list of scalars) goes to JSON as it is
    return json.dumps(value, ensure_ascii=False)


def _key(key: Any) -> str:
    """A dict key the way json.dumps writes it: str as is; int, float, bool, None as text."""
    if isinstance(key, str):
        return encode_basestring(key)
    if key is None or isinstance(key, int | float):
        return encode_basestring(json.dumps(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _fields(cls: type) -> list[tuple[str, Any, Any]]:
    """(name, default or _MISSING, type hint) per field of a dataclass."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            default: Any = f.default
        elif f.default_factory is not dataclasses.MISSING:
            default = f.default_factory()
        else:
            default = _MISSING
        out.append((f.name, default, hints[f.name]))
    return out


def _optional(hint: Any) -> Any:
    """`X` for `X | None`, else the hint itself."""
    if typing.get_origin(hint) in (types.UnionType, typing.Union):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _is_dataclass_type(tp: Any) -> bool:
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


_BUILDING: set[type] = set()


@cache
def _encoder(cls: type) -> Encoder:
    """One generated function writing an instance of dataclass `cls` as JSON text."""
    _BUILDING.add(cls)
    try:
        env: dict[str, Any] = {"_S": encode_basestring, "_T": _text, "_R": int.__repr__, "_id": id}
        lines = [
            "def encode(v, memo):",
            "    k = _id(v)",
            "    hit = memo.get(k)",
            "    if hit is not None:",
            "        return hit[1]",
            "    p = []",
        ]
        for i, (name, default, hint) in enumerate(_fields(cls)):
            lines.append(f"    x = v.{name}")
            indent = "    "
            if default is not _MISSING:
                lines.append(f"    if not ({_is_default(f'd{i}', default, env)}):")
                indent = "        "
            head = encode_basestring(name) + ": "
            lines.append(f"{indent}p.append({head!r} + {_value(_optional(hint), i, env)})")
        lines += [
            "    t = '{' + ', '.join(p) + '}'",
            "    memo[k] = (v, t)",
            "    return t",
        ]
        exec("\n".join(lines), env)  # noqa: S102  (code generated from dataclass fields only)
        fn: Encoder = env["encode"]
        fn.__qualname__ = f"encode_{cls.__name__}"
        return fn
    finally:
        _BUILDING.discard(cls)


def _is_default(name: str, default: Any, env: dict[str, Any]) -> str:
    """An expression true when `x` equals the field's default: same type, equal value."""
    if default is None or default is True or default is False:
        return f"x is {default!r}"
    env[name] = default
    env[f"{name}_type"] = type(default)
    return f"type(x) is {name}_type and x == {name}"


def _value(tp: Any, i: int, env: dict[str, Any]) -> str:
    """An expression for the JSON text of `x`, fast for the declared type `tp`."""
    if tp is str:
        return "(_S(x) if type(x) is str else _T(x, memo))"
    if tp is bool:
        return "('true' if x is True else 'false' if x is False else _T(x, memo))"
    if tp is int:
        return "(_R(x) if type(x) is int else _T(x, memo))"
    if _is_dataclass_type(tp) and tp not in _BUILDING:
        env[f"c{i}"], env[f"e{i}"] = tp, _encoder(tp)
        return f"(e{i}(x, memo) if type(x) is c{i} else _T(x, memo))"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        # an enum's members are few: their texts are written once, here (by id:
        # Enum.__hash__ is a Python function)
        env[f"c{i}"], env[f"t{i}"] = tp, {id(m): _text(m._value_, {}) for m in tp}
        return f"(t{i}[_id(x)] if type(x) is c{i} else _T(x, memo))"
    if typing.get_origin(tp) is tuple:
        item = typing.get_args(tp)[0]
        if item is str:
            each = "_S(y) if type(y) is str else _T(y, memo)"
        elif _is_dataclass_type(item) and item not in _BUILDING:
            env[f"c{i}"], env[f"e{i}"] = item, _encoder(item)
            each = f"e{i}(y, memo) if type(y) is c{i} else _T(y, memo)"
        else:
            each = "_T(y, memo)"
        return f"('[' + ', '.join([{each} for y in x]) + ']' if type(x) is tuple else _T(x, memo))"
    return "_T(x, memo)"


# --- decoding ---------------------------------------------------------------
# The data comes fresh from json.loads and is used only here, so the generated
# decoders convert a dataclass's fields in place in its JSON object and pass
# that object as the keyword arguments.


@cache
def _decoder(tp: Any) -> Any:
    """A function turning JSON data into a value of type `tp` (made once per type)."""
    origin = typing.get_origin(tp)
    if origin in (types.UnionType, typing.Union):
        (inner,) = [a for a in typing.get_args(tp) if a is not type(None)]
        dec = _decoder(inner)
        if dec is _identity:
            return _identity
        return lambda d: None if d is None else dec(d)
    if origin is tuple:
        dec = _decoder(typing.get_args(tp)[0])
        if dec is _identity:
            return tuple
        return lambda d: tuple([dec(v) for v in d])
    if origin is dict:
        dec = _decoder(typing.get_args(tp)[1])
        if dec is _identity:
            return dict
        return lambda d: {k: dec(v) for k, v in d.items()}
    if _is_dataclass_type(tp):
        return _dataclass_decoder(tp)
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        members = {m.value: m for m in tp}
        # the lookup Enum.__call__ starts with, without its Python-level call
        return lambda v: members[v] if v in members else tp(v)
    return _identity


def _identity(value: Any) -> Any:
    return value


def _dataclass_decoder(cls: type) -> Any:
    """One generated function building a `cls` from its JSON object.

    Fields whose JSON form is the value itself (str, int, bool, None) are
    passed as they are; a field left out (at its default) is not looked at.
    """
    env: dict[str, Any] = {"cls": cls}
    lines = ["def decode(d):"]
    for i, (name, _default, hint) in enumerate(_fields(cls)):
        dec = _decoder(hint)
        if dec is _identity:
            continue
        env[f"f{i}"] = dec
        lines += [f"    if {name!r} in d:", f"        d[{name!r}] = f{i}(d[{name!r}])"]
    lines.append("    return cls(**d)")
    exec("\n".join(lines), env)  # noqa: S102  (code generated from dataclass fields only)
    fn = env["decode"]
    fn.__qualname__ = f"decode_{cls.__name__}"
    return fn
