"""Comparators for schemas, extensions, enums, domains, sequences, functions and privileges."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from studio.diff.expressions import check_shape
from studio.model import EnumType, Function, Privilege, Schema, qualname
from studio.model.changes import (
    AddDomainConstraint,
    AddEnumValue,
    AlterExtensionSchema,
    AlterOwner,
    AlterSequence,
    CreateDomain,
    CreateEnum,
    CreateExtension,
    CreateFunction,
    CreateSchema,
    CreateSequence,
    Deps,
    DropDomain,
    DropDomainConstraint,
    DropEnum,
    DropExtension,
    DropFunction,
    DropSchema,
    DropSequence,
    EnumColumn,
    GrantPrivilege,
    RecreateEnum,
    RevokePrivilege,
    SetDomainDefault,
    SetDomainNotNull,
    SetSequenceOwner,
    ValidateDomainConstraint,
)
from studio.model.changes.base import (
    col_key,
    con_key,
    fn_key,
    nsp_key,
    rel_key,
    split_qualified,
    type_key,
)
from studio.model.changes.objects import owner_key
from studio.model.changes.routines import function_kind, function_signature, unchecked_body

if TYPE_CHECKING:
    from studio.diff.context import Context


def _sorted_keys(
    a: dict[str, object], b: dict[str, object]
) -> tuple[list[str], list[str], list[str]]:
    """Keys only in b (added), only in a (dropped), in both: each sorted."""
    return sorted(b.keys() - a.keys()), sorted(a.keys() - b.keys()), sorted(a.keys() & b.keys())


def namespaces(ctx: Context) -> None:
    """CREATE/DROP SCHEMA and schema comments."""
    old, new = ctx.old.namespaces, ctx.new.namespaces
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]
    for k in added:
        ctx.add(CreateSchema(new[k]))
        ctx.comment("SCHEMA", k, None, new[k].comment, key=nsp_key(new[k].name), created=True)
    for k in dropped:
        ctx.add(DropSchema(old[k]))
    for k in kept:
        ctx.comment("SCHEMA", k, old[k].comment, new[k].comment, key=nsp_key(new[k].name))


def extensions(ctx: Context) -> None:
    """CREATE/DROP EXTENSION and moves between schemas (versions are not compared)."""
    old, new = ctx.old.extensions, ctx.new.extensions
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]
    for k in added:
        ctx.add(CreateExtension(new[k]))
    for k in dropped:
        ctx.add(DropExtension(old[k]))
    for k in kept:
        if old[k].schema != new[k].schema:
            ctx.add(AlterExtensionSchema(new[k].name, new[k].schema, old[k].schema))


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    it = iter(long)
    return all(any(x == y for y in it) for x in short)


def _added_values(old: EnumType, new: EnumType) -> list[AddEnumValue]:
    out: list[AddEnumValue] = []
    for i, label in enumerate(new.labels):
        if label in old.labels:
            continue
        follows = out[-1].value if out else None
        if i > 0:
            out.append(AddEnumValue(new.key, label, after=new.labels[i - 1], follows=follows))
        else:
            anchor = next((v for v in new.labels if v in old.labels), None)
            out.append(AddEnumValue(new.key, label, before=anchor, follows=follows))
    return out


def _enum_columns(ctx: Context, enum: str) -> list[EnumColumn]:
    """Columns of type `enum` (or an array of it) on both sides, which a recreation re-casts."""
    out = []
    for key in sorted(ctx.old.tables.keys() & ctx.new.tables.keys()):
        t_old, t_new = ctx.old.tables[key], ctx.new.tables[key]
        if t_new.partition_of is not None:
            continue  # the parent's ALTER recurses to its partitions
        for c in t_old.columns:
            n = t_new.column(c.name)
            if n is None or n.type != c.type or ctx.old_refs.type_deps(c.type) != {type_key(enum)}:
                continue
            if n.generated is not None or c.generated is not None:
                continue
            out.append(EnumColumn(key, c.name, c.type, c.default, n.default))
    return out


def enums(ctx: Context) -> None:
    """CREATE TYPE AS ENUM, ADD VALUE in place, or a recreation when a label goes or moves."""
    old, new = ctx.old.enums, ctx.new.enums
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]
    for k in added:
        ctx.add(CreateEnum(new[k]))
        ctx.comment("TYPE", k, None, new[k].comment, key=type_key(k), created=True)
    for k in dropped:
        ctx.add(DropEnum(old[k]))
    for k in kept:
        a, b = old[k], new[k]
        if a.labels != b.labels:
            if _is_subsequence(a.labels, b.labels):
                ctx.add(*_added_values(a, b))
            else:
                columns = _enum_columns(ctx, k)
                ctx.add(RecreateEnum(a, b, tuple(columns)))
                ctx.recast_enums.add(k)
                for c in columns:
                    ctx.recast_columns.add(col_key(c.table, c.column))
                    ctx.rebuilt_columns.add(col_key(c.table, c.column))
        ctx.comment("TYPE", k, a.comment, b.comment, key=type_key(k))


def domains(ctx: Context) -> None:
    """CREATE/DROP DOMAIN and ALTER DOMAIN for defaults, NOT NULL and constraints."""
    old, new = ctx.old.domains, ctx.new.domains
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]

    def create(k: str) -> None:
        d = new[k]
        deps = ctx.new_deps(d.default, *(c.definition for c in d.constraints), types=(d.base_type,))
        ctx.add(CreateDomain(d, deps))
        ctx.comment("DOMAIN", k, None, d.comment, key=type_key(k), created=True)

    for k in added:
        create(k)
    for k in dropped:
        ctx.add(DropDomain(old[k], ctx.old_deps(old[k].default, types=(old[k].base_type,))))
    for k in kept:
        a, b = old[k], new[k]
        if a.base_type != b.base_type or a.collation != b.collation:
            # no ALTER DOMAIN for these: only possible while no column uses the domain
            ctx.add(DropDomain(a, ctx.old_deps(a.default, types=(a.base_type,))))
            create(k)
            continue
        if a.default != b.default:
            ctx.add(SetDomainDefault(k, b.default, a.default))
        if a.not_null != b.not_null:
            ctx.add(SetDomainNotNull(k, b.not_null))
        ca = {c.name: c for c in a.constraints}
        cb = {c.name: c for c in b.constraints}
        for name in sorted(cb.keys() - ca.keys()):
            ctx.add(AddDomainConstraint(k, cb[name]))
        for name in sorted(ca.keys() - cb.keys()):
            ctx.add(DropDomainConstraint(k, ca[name]))
        for name in sorted(ca.keys() & cb.keys()):
            x, y = ca[name], cb[name]
            if con_key(k, name) in ctx.forced:
                # what its check calls is dropped and created again
                ctx.add(DropDomainConstraint(k, x), AddDomainConstraint(k, y))
                continue
            x_def, y_def = check_shape(x.definition), check_shape(y.definition)
            if replace(x, definition=x_def) == replace(y, definition=y_def):
                continue
            if not x.validated and y.validated and x_def.removesuffix(" NOT VALID") == y_def:
                ctx.add(ValidateDomainConstraint(k, name))
            else:
                ctx.add(DropDomainConstraint(k, x), AddDomainConstraint(k, y))
        ctx.comment("DOMAIN", k, a.comment, b.comment, key=type_key(k))


def _owner_gone(ctx: Context, owned_by: str) -> bool:
    """True when the column owning a sequence is dropped (the sequence goes with it)."""
    *table, column = split_qualified(owned_by)
    t = ctx.new.tables.get(qualname(*table))
    old_t = ctx.old.tables.get(qualname(*table))
    return t is None or t.column(column) is None or old_t is None or (old_t.column(column) is None)


def sequences(ctx: Context) -> None:
    """CREATE/ALTER/DROP SEQUENCE and OWNED BY."""
    old, new = ctx.old.sequences, ctx.new.sequences
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]
    for k in added:
        s = new[k]
        ctx.add(CreateSequence(s))
        if s.owned_by:
            ctx.add(SetSequenceOwner(k, s.owned_by))
        ctx.comment("SEQUENCE", k, None, s.comment, key=rel_key(k), created=True)
    for k in dropped:
        s = old[k]
        if s.owned_by and _owner_gone(ctx, s.owned_by):
            continue  # dropped with the column or table that owns it
        ctx.add(DropSequence(s))
    for k in kept:
        a, b = old[k], new[k]
        if a.options != b.options:
            ctx.add(AlterSequence(k, a.options, b.options))
        if a.owned_by != b.owned_by:
            ctx.add(SetSequenceOwner(k, b.owned_by, a.owned_by))
        ctx.comment("SEQUENCE", k, a.comment, b.comment, key=rel_key(k))


def _function_deps(ctx: Context, f: Function) -> Deps:
    """What a function's creation needs: its signature's types, and what a checked body names."""
    if unchecked_body(f):
        # created with check_function_bodies off: the body may name what comes later
        # (even a table whose default calls the function)
        return ctx.new_deps(f.arguments, f.returns)
    return ctx.new_deps(f.arguments, f.returns, f.definition)


def functions(ctx: Context) -> None:
    """CREATE OR REPLACE when the signature and result are kept, else DROP and CREATE."""
    old, new = ctx.old.functions, ctx.new.functions
    added, dropped, kept = _sorted_keys(old, new)  # type: ignore[arg-type]

    def create(k: str) -> None:
        f = new[k]
        deps = _function_deps(ctx, f)
        ctx.add(CreateFunction(f, None, deps))
        ctx.comment(
            function_kind(f), function_signature(f), None, f.comment, key=fn_key(k), created=True
        )

    for k in added:
        create(k)
    for k in dropped:
        f = old[k]
        ctx.add(DropFunction(f, ctx.old_deps(f.arguments, f.returns)))
    for k in kept:
        a, b = old[k], new[k]
        if fn_key(k) in ctx.forced:
            # what it calls or reads is dropped and created again: it goes and comes back
            ctx.add(DropFunction(a, ctx.old_deps(a.arguments, a.returns)))
            ctx.recreated_functions.add(k)
            create(k)
        elif replace(a, comment=None) == replace(b, comment=None):
            ctx.comment(
                function_kind(b), function_signature(b), a.comment, b.comment, key=fn_key(k)
            )
        elif a.returns == b.returns and a.kind == b.kind:
            ctx.add(CreateFunction(b, a, _function_deps(ctx, b)))
            ctx.comment(
                function_kind(b), function_signature(b), a.comment, b.comment, key=fn_key(k)
            )
        else:
            ctx.add(DropFunction(a, ctx.old_deps(a.arguments, a.returns)))
            ctx.recreated_functions.add(k)
            create(k)


# --- privileges and owners -------------------------------------------------------

_OWNER_KIND = {"a": "AGGREGATE", "p": "PROCEDURE"}


def _object_of(schema: Schema, key: str) -> tuple[str, str] | None:
    """(ALTER keyword, dependency key) of an object key of `Schema.owners` / `Privilege.object`."""
    if key in schema.namespaces:
        return "SCHEMA", nsp_key(schema.namespaces[key].name)
    if key in schema.tables:
        return "TABLE", rel_key(key)
    if key in schema.views:
        return ("MATERIALIZED VIEW" if schema.views[key].materialized else "VIEW"), rel_key(key)
    if key in schema.sequences:
        return "SEQUENCE", rel_key(key)
    if key in schema.enums:
        return "TYPE", type_key(key)
    if key in schema.domains:
        return "DOMAIN", type_key(key)
    if key in schema.functions:
        return _OWNER_KIND.get(schema.functions[key].kind, "FUNCTION"), fn_key(key)
    return None


def _privilege_key(schema: Schema, p: Privilege) -> str:
    found = _object_of(schema, p.object)
    if found is None:
        return ""
    if p.column:
        return col_key(p.object, p.column)
    return found[1]


# What an object without an ACL grants (PostgreSQL's acldefault): every
# privilege of its kind to the owner, and EXECUTE on a routine to PUBLIC.
# PostgreSQL 17 added MAINTAIN to a relation owner's; see `privileges`.
_OWNER_DEFAULTS = {
    "schema": ("CREATE", "USAGE"),
    "relation": ("DELETE", "INSERT", "REFERENCES", "SELECT", "TRIGGER", "TRUNCATE", "UPDATE"),
    "sequence": ("SELECT", "UPDATE", "USAGE"),
    "routine": ("EXECUTE",),
}


def _acl_kind(schema: Schema, key: str) -> tuple[str, str] | None:
    """(`Privilege.object_kind`, `_OWNER_DEFAULTS` family) of an object with an ACL we read."""
    if key in schema.namespaces:
        return "schema", "schema"
    if key in schema.tables:
        return "table", "relation"
    if key in schema.views:
        return ("materialized view" if schema.views[key].materialized else "view"), "relation"
    if key in schema.sequences:
        return "sequence", "sequence"
    if key in schema.functions:
        return ("procedure" if schema.functions[key].kind == "p" else "function"), "routine"
    return None


def _defaults(schema: Schema, key: str, owner: str, maintain: bool) -> set[Privilege]:
    """The privileges object `key` of `schema` has while it has no ACL."""
    found = _acl_kind(schema, key)
    if found is None:
        return set()
    kind, family = found
    granted = _OWNER_DEFAULTS[family] + (("MAINTAIN",) if maintain and family == "relation" else ())
    out = {Privilege(kind, key, owner, p) for p in granted}
    if family == "routine":
        out.add(Privilege(kind, key, "PUBLIC", "EXECUTE"))
    return out


def _in_effect(schema: Schema, leave_out: set[str], maintain: bool) -> set[Privilege]:
    """The privileges of `schema`'s objects as they are in effect.

    An explicit ACL, else the defaults.
    """
    explicit = {p for p in schema.privileges if p.object not in leave_out}
    # column grants are not the object's ACL
    with_acl = {p.object for p in explicit if p.column is None}
    for key, owner in schema.owners.items():
        if key not in with_acl and key not in leave_out:
            explicit |= _defaults(schema, key, owner, maintain)
    return explicit


def privileges(ctx: Context) -> None:
    """GRANT / REVOKE the differences, re-GRANT on recreated objects, ALTER ... OWNER TO.

    Privileges are compared as they are in effect. An object without an ACL
    (the catalog's NULL) has PostgreSQL's defaults: its owner holds every
    privilege of its kind, and PUBLIC may execute a routine. So a NULL ACL
    and an explicit one that grants just that are equal, and only the grants
    beyond the defaults (or the defaults revoked) are changes. An object the
    migration creates starts with the defaults of its owner.
    """
    recreated = ctx.recreated | ctx.recreated_functions
    # PostgreSQL 17+ grants a relation's owner MAINTAIN by default: either side
    # showing it anywhere (every relation with an explicit ACL from 17+ does,
    # unless its owner revoked it) says the servers are that recent
    maintain = any(p.privilege == "MAINTAIN" for s in (ctx.old, ctx.new) for p in s.privileges)
    old_set = _in_effect(ctx.old, recreated, maintain)
    for key, owner in ctx.new.owners.items():
        if key in recreated or _acl_kind(ctx.old, key) is None:
            old_set |= _defaults(ctx.new, key, owner, maintain)  # created by the migration
    # ALTER ... OWNER TO hands the old owner's privileges over to the new owner
    for key, owner in ctx.new.owners.items():
        before = ctx.old.owners.get(key)
        if before is not None and before != owner and key not in recreated:
            old_set = {
                replace(p, grantee=owner) if p.object == key and p.grantee == before else p
                for p in old_set
            }
    new_set = _in_effect(ctx.new, set(), maintain)
    handed = {
        k for k, owner in ctx.new.owners.items() if ctx.old.owners.get(k) not in (None, owner)
    }

    def after(p: Privilege) -> str:
        # compared as the new owner holds them: run after the ALTER ... OWNER TO
        found = _object_of(ctx.new, p.object) if p.object in handed else None
        return owner_key(found[1]) if found is not None else ""

    for p in sorted(old_set - new_set, key=_privilege_sort):
        if _object_of(ctx.new, p.object) is None:
            continue  # dropped: its privileges went with it
        ctx.add(RevokePrivilege(p, _privilege_key(ctx.new, p), after(p)))
    for p in sorted(new_set - old_set, key=_privilege_sort):
        ctx.add(GrantPrivilege(p, _privilege_key(ctx.new, p), after(p)))
    for key in sorted(ctx.new.owners):
        owner = ctx.new.owners[key]
        before = ctx.old.owners.get(key)
        if owner == before and key not in ctx.recreated and key not in ctx.recreated_functions:
            continue
        found = _object_of(ctx.new, key)
        if found is None:
            continue
        kind, dep = found
        obj = key
        if kind in ("FUNCTION", "PROCEDURE", "AGGREGATE"):
            obj = function_signature(ctx.new.functions[key])
        ctx.add(AlterOwner(kind, obj, owner, before, dep))


def _privilege_sort(p: Privilege) -> tuple[str, str, str, str, str]:
    return (p.object_kind, p.object, p.column or "", p.grantee, p.privilege)
