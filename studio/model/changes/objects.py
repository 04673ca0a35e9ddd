"""Database-level objects and annotations: schemas, extensions, comments, privileges, owners."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.model import Extension, Namespace, Privilege, quote_ident
from studio.model.changes.base import Change, comment_value, ext_key, nsp_key

# --- schemas and extensions ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class CreateSchema(Change):
    """CREATE SCHEMA."""

    namespace: Namespace

    def sql(self) -> tuple[str, ...]:
        return (f"CREATE SCHEMA {self.namespace.key}",)

    def describe(self) -> str:
        return f"create schema {self.namespace.key}"

    def inverse(self) -> Change:
        return DropSchema(self.namespace)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({nsp_key(self.namespace.name)})


@dataclass(frozen=True, slots=True)
class DropSchema(Change):
    """DROP SCHEMA (what it held is dropped before, by its own changes)."""

    namespace: Namespace

    def sql(self) -> tuple[str, ...]:
        return (f"DROP SCHEMA {self.namespace.key}",)

    def describe(self) -> str:
        return f"drop schema {self.namespace.key}"

    def inverse(self) -> Change:
        return CreateSchema(self.namespace)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({nsp_key(self.namespace.name)})


@dataclass(frozen=True, slots=True)
class CreateExtension(Change):
    """CREATE EXTENSION ... WITH SCHEMA."""

    extension: Extension

    def sql(self) -> tuple[str, ...]:
        e = self.extension
        return (f"CREATE EXTENSION {e.key} WITH SCHEMA {quote_ident(e.schema)}",)

    def describe(self) -> str:
        return f"create extension {self.extension.key}"

    def inverse(self) -> Change:
        return DropExtension(self.extension)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({ext_key(self.extension.name)})

    @property
    def requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.extension.schema)})


@dataclass(frozen=True, slots=True)
class DropExtension(Change):
    """DROP EXTENSION."""

    extension: Extension

    def sql(self) -> tuple[str, ...]:
        return (f"DROP EXTENSION {self.extension.key}",)

    def describe(self) -> str:
        return f"drop extension {self.extension.key}"

    def inverse(self) -> Change:
        return CreateExtension(self.extension)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({ext_key(self.extension.name)})

    @property
    def uses(self) -> frozenset[str]:
        return frozenset({nsp_key(self.extension.schema)})


@dataclass(frozen=True, slots=True)
class AlterExtensionSchema(Change):
    """ALTER EXTENSION ... SET SCHEMA."""

    name: str
    schema: str
    old_schema: str

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER EXTENSION {quote_ident(self.name)} SET SCHEMA {quote_ident(self.schema)}",)

    def describe(self) -> str:
        return f"move extension {quote_ident(self.name)} to schema {quote_ident(self.schema)}"

    def inverse(self) -> Change:
        return AlterExtensionSchema(self.name, self.old_schema, self.schema)

    @property
    def requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.schema)})

    @property
    def uses(self) -> frozenset[str]:
        return frozenset({nsp_key(self.old_schema)})


# --- comments ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetComment(Change):
    """COMMENT ON <kind> <object> IS '...' (or IS NULL to remove it)."""

    # TABLE, COLUMN, VIEW, MATERIALIZED VIEW, INDEX, SEQUENCE, TYPE, DOMAIN,
    # SCHEMA, FUNCTION, PROCEDURE, AGGREGATE, CONSTRAINT, TRIGGER
    object_kind: str
    # the object as SQL after the kind: `public.t`, `public.t.c`, `name ON public.t`
    object: str
    comment: str | None
    old_comment: str | None = None
    # dependency key of the object, and the table it belongs to (for lock analysis)
    key: str = field(default="", compare=False)
    table: str | None = field(default=None, compare=False)

    def sql(self) -> tuple[str, ...]:
        return (f"COMMENT ON {self.object_kind} {self.object} IS {comment_value(self.comment)}",)

    def describe(self) -> str:
        verb = "remove comment on" if self.comment is None else "comment on"
        return f"{verb} {self.object_kind.lower()} {self.object}"

    def inverse(self) -> Change:
        return SetComment(
            self.object_kind, self.object, self.old_comment, self.comment, self.key, self.table
        )

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,) if self.table else ()

    @property
    def requires(self) -> frozenset[str]:
        return frozenset({self.key}) if self.key else frozenset()


# --- privileges and owners -------------------------------------------------------

# Privilege.object_kind -> the word GRANT/REVOKE/ALTER ... OWNER use
_GRANT_ON = {
    "schema": "SCHEMA",
    "table": "TABLE",
    "view": "TABLE",
    "materialized view": "TABLE",
    "column": "TABLE",
    "sequence": "SEQUENCE",
    "function": "FUNCTION",
    "procedure": "PROCEDURE",
}


def _grantee(name: str) -> str:
    return "PUBLIC" if name.upper() == "PUBLIC" else quote_ident(name)


def _privilege_sql(p: Privilege) -> str:
    column = f" ({quote_ident(p.column)})" if p.column else ""
    return f"{p.privilege}{column} ON {_GRANT_ON.get(p.object_kind, 'TABLE')} {p.object}"


@dataclass(frozen=True, slots=True)
class GrantPrivilege(Change):
    """GRANT privilege ON object TO grantee [WITH GRANT OPTION]."""

    privilege: Privilege
    key: str = field(default="", compare=False)
    # `owner_key` of an ALTER ... OWNER TO of the object, which runs first: the
    # privileges were compared as the new owner will hold them
    after: str = field(default="", compare=False)

    def sql(self) -> tuple[str, ...]:
        p = self.privilege
        option = " WITH GRANT OPTION" if p.grantable else ""
        return (f"GRANT {_privilege_sql(p)} TO {_grantee(p.grantee)}{option}",)

    def describe(self) -> str:
        p = self.privilege
        return f"grant {p.privilege.lower()} on {p.object_kind} {p.object} to {p.grantee}"

    def inverse(self) -> Change:
        return RevokePrivilege(self.privilege, self.key, self.after)

    @property
    def requires(self) -> frozenset[str]:
        return frozenset(k for k in (self.key, self.after) if k)


@dataclass(frozen=True, slots=True)
class RevokePrivilege(Change):
    """REVOKE privilege ON object FROM grantee."""

    privilege: Privilege
    key: str = field(default="", compare=False)
    # `owner_key` of an ALTER ... OWNER TO of the object, which runs first: the
    # privileges were compared as the new owner will hold them
    after: str = field(default="", compare=False)

    def sql(self) -> tuple[str, ...]:
        return (f"REVOKE {_privilege_sql(self.privilege)} FROM {_grantee(self.privilege.grantee)}",)

    def describe(self) -> str:
        p = self.privilege
        return f"revoke {p.privilege.lower()} on {p.object_kind} {p.object} from {p.grantee}"

    def inverse(self) -> Change:
        return GrantPrivilege(self.privilege, self.key, self.after)

    @property
    def requires(self) -> frozenset[str]:
        return frozenset(k for k in (self.key, self.after) if k)


@dataclass(frozen=True, slots=True)
class AlterOwner(Change):
    """ALTER <kind> object OWNER TO role."""

    # TABLE, VIEW, MATERIALIZED VIEW, SEQUENCE, SCHEMA, TYPE, DOMAIN, FUNCTION, PROCEDURE, AGGREGATE
    object_kind: str
    object: str
    owner: str
    old_owner: str | None = None
    key: str = field(default="", compare=False)

    def sql(self) -> tuple[str, ...]:
        return (f"ALTER {self.object_kind} {self.object} OWNER TO {quote_ident(self.owner)}",)

    def describe(self) -> str:
        return f"make {self.owner} the owner of {self.object_kind.lower()} {self.object}"

    def inverse(self) -> Change | None:
        if self.old_owner is None:
            return None
        return AlterOwner(self.object_kind, self.object, self.old_owner, self.owner, self.key)

    @property
    def requires(self) -> frozenset[str]:
        return frozenset({self.key}) if self.key else frozenset()

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({owner_key(self.key)}) if self.key else frozenset()


def owner_key(key: str) -> str:
    """The ordering key of an object's new owner (`key` is the object's dependency key)."""
    return f"owner:{key}"
