"""Changes to what runs code or reads tables: views, functions, triggers, policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from studio.model import Function, Policy, Trigger, View, qualname, quote_ident
from studio.model.changes.base import (
    NO_DEPS,
    Change,
    Deps,
    alter_table,
    col_key,
    fn_key,
    nsp_key,
    pol_key,
    rel_key,
    split_qualified,
    strip_statement,
    trg_key,
)

# --- views -------------------------------------------------------------------


def _view_kind(view: View) -> str:
    return "MATERIALIZED VIEW" if view.materialized else "VIEW"


def _column_keys(view: View) -> set[str]:
    keys = set()
    for qualified in view.depends_on_columns:
        *table, column = split_qualified(qualified)
        keys.add(col_key(qualname(*table), column))
    return keys


@dataclass(frozen=True, slots=True)
class CreateView(Change):
    """CREATE [MATERIALIZED] VIEW ... AS <pg_get_viewdef()>."""

    view: View
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        v = self.view
        opts = f" WITH ({', '.join(v.options)})" if v.options else ""
        return (f"CREATE {_view_kind(v)} {v.key}{opts} AS\n{strip_statement(v.definition)}",)

    def describe(self) -> str:
        return f"create {_view_kind(self.view).lower()} {self.view.key}"

    def inverse(self) -> Change:
        return DropView(self.view)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.view.key,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({rel_key(self.view.key)})

    def _structural_requires(self) -> frozenset[str]:
        v = self.view
        return frozenset({nsp_key(v.schema)} | {rel_key(r) for r in v.depends_on} | _column_keys(v))


@dataclass(frozen=True, slots=True)
class DropView(Change):
    """DROP [MATERIALIZED] VIEW (views over it are dropped before, by their own changes)."""

    view: View
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP {_view_kind(self.view)} {self.view.key}",)

    def describe(self) -> str:
        return f"drop {_view_kind(self.view).lower()} {self.view.key}"

    def inverse(self) -> Change:
        return CreateView(self.view)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.view.key,)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({rel_key(self.view.key)})

    def _structural_uses(self) -> frozenset[str]:
        return frozenset({rel_key(r) for r in self.view.depends_on} | _column_keys(self.view))


# --- functions ---------------------------------------------------------------

_DROP_KIND = {"p": "PROCEDURE", "a": "AGGREGATE"}


def function_kind(f: Function) -> str:
    """FUNCTION, PROCEDURE or AGGREGATE: the word DROP/COMMENT/ALTER use for it."""
    return _DROP_KIND.get(f.kind, "FUNCTION")


def function_signature(f: Function) -> str:
    """`schema.name(arguments)`; an aggregate over no argument is written `name(*)`."""
    args = f.arguments if f.arguments or f.kind != "a" else "*"
    return f"{qualname(f.schema, f.name)}({args})"


# A LANGUAGE sql body in quotes is parsed and analysed at CREATE unless
# check_function_bodies is off: the tables and functions it names must exist,
# and pg_depend does not record them, so nothing orders them first (a body may
# even name a table whose default calls the function). pg_dump turns the
# check off for the same reason. PL/pgSQL bodies are only syntax-checked, and
# SQL-standard bodies (BEGIN ATOMIC, RETURN) are recorded and ordered by
# pg_depend's edges. LOCAL: until the transaction ends.
_NO_BODY_CHECK = "SET LOCAL check_function_bodies = off"


def unchecked_body(f: Function) -> bool:
    """True for a LANGUAGE sql function whose body is a string (not SQL-standard)."""
    # pg_get_functiondef prints a string body as `AS $function$...`, a standard one bare
    return f.language == "sql" and "\nAS " in f.definition


@dataclass(frozen=True, slots=True)
class CreateFunction(Change):
    """The function's own CREATE OR REPLACE statement.

    `old` is set when it replaces one in place.
    """

    function: Function
    old: Function | None = None
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        text = strip_statement(self.function.definition)
        if unchecked_body(self.function):
            return (_NO_BODY_CHECK, text)
        return (text,)

    def describe(self) -> str:
        verb = "replace" if self.old is not None else "create"
        return (
            f"{verb} {_DROP_KIND.get(self.function.kind, 'FUNCTION').lower()} {self.function.key}"
        )

    def inverse(self) -> Change:
        if self.old is not None:
            return CreateFunction(self.old, self.function)
        return DropFunction(self.function)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({fn_key(self.function.key)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({nsp_key(self.function.schema)})


@dataclass(frozen=True, slots=True)
class DropFunction(Change):
    """DROP FUNCTION / PROCEDURE / AGGREGATE name(arguments)."""

    function: Function
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        f = self.function
        return (f"DROP {_DROP_KIND.get(f.kind, 'FUNCTION')} {function_signature(f)}",)

    def describe(self) -> str:
        return f"drop {_DROP_KIND.get(self.function.kind, 'FUNCTION').lower()} {self.function.key}"

    def inverse(self) -> Change:
        return CreateFunction(self.function)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({fn_key(self.function.key)})


# --- triggers ----------------------------------------------------------------

_ENABLE = {"O": "ENABLE", "D": "DISABLE", "R": "ENABLE REPLICA", "A": "ENABLE ALWAYS"}


def trigger_function_key(trigger: Trigger) -> str:
    """Dependency key of the function a trigger calls (trigger functions take no arguments)."""
    return fn_key(f"{trigger.function}()")


@dataclass(frozen=True, slots=True)
class CreateTrigger(Change):
    """CREATE TRIGGER from pg_get_triggerdef(), then its enabled state when not the default."""

    table: str
    trigger: Trigger

    def sql(self) -> tuple[str, ...]:
        out = [strip_statement(self.trigger.definition)]
        if self.trigger.enabled != "O":
            out += SetTriggerEnabled(self.table, self.trigger.name, self.trigger.enabled).sql()
        return tuple(out)

    def describe(self) -> str:
        return f"create trigger {quote_ident(self.trigger.name)} on {self.table}"

    def inverse(self) -> Change:
        return DropTrigger(self.table, self.trigger)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({trg_key(self.table, self.trigger.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table), trigger_function_key(self.trigger)})


@dataclass(frozen=True, slots=True)
class DropTrigger(Change):
    """DROP TRIGGER name ON table."""

    table: str
    trigger: Trigger

    def sql(self) -> tuple[str, ...]:
        return (f"DROP TRIGGER {quote_ident(self.trigger.name)} ON {self.table}",)

    def describe(self) -> str:
        return f"drop trigger {quote_ident(self.trigger.name)} on {self.table}"

    def inverse(self) -> Change:
        return CreateTrigger(self.table, self.trigger)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({trg_key(self.table, self.trigger.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})

    def _structural_uses(self) -> frozenset[str]:
        return frozenset({trigger_function_key(self.trigger)})


@dataclass(frozen=True, slots=True)
class SetTriggerEnabled(Change):
    """ALTER TABLE ... ENABLE / DISABLE / ENABLE REPLICA / ENABLE ALWAYS TRIGGER."""

    table: str
    name: str
    enabled: str
    old_enabled: str = "O"

    def sql(self) -> tuple[str, ...]:
        return (
            alter_table(self.table, f"{_ENABLE[self.enabled]} TRIGGER {quote_ident(self.name)}"),
        )

    def describe(self) -> str:
        return f"{_ENABLE[self.enabled].lower()} trigger {quote_ident(self.name)} on {self.table}"

    def inverse(self) -> Change:
        return SetTriggerEnabled(self.table, self.name, self.old_enabled, self.enabled)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


# --- policies ----------------------------------------------------------------


def _roles_sql(roles: tuple[str, ...]) -> str:
    return ", ".join("PUBLIC" if r == "public" else quote_ident(r) for r in roles)


@dataclass(frozen=True, slots=True)
class CreatePolicy(Change):
    """CREATE POLICY name ON table AS PERMISSIVE|RESTRICTIVE FOR cmd TO roles ...

    The rest: USING (...) WITH CHECK (...).
    """

    table: str
    policy: Policy
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        p = self.policy
        text = (
            f"CREATE POLICY {quote_ident(p.name)} ON {self.table}"
            f" AS {'PERMISSIVE' if p.permissive else 'RESTRICTIVE'} FOR {p.command}"
            f" TO {_roles_sql(p.roles)}"
        )
        if p.using is not None:
            text += f" USING ({p.using})"
        if p.with_check is not None:
            text += f" WITH CHECK ({p.with_check})"
        return (text,)

    def describe(self) -> str:
        return f"create policy {quote_ident(self.policy.name)} on {self.table}"

    def inverse(self) -> Change:
        return DropPolicy(self.table, self.policy)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({pol_key(self.table, self.policy.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class DropPolicy(Change):
    """DROP POLICY name ON table."""

    table: str
    policy: Policy
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        return (f"DROP POLICY {quote_ident(self.policy.name)} ON {self.table}",)

    def describe(self) -> str:
        return f"drop policy {quote_ident(self.policy.name)} on {self.table}"

    def inverse(self) -> Change:
        return CreatePolicy(self.table, self.policy)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def removes(self) -> frozenset[str]:
        return frozenset({pol_key(self.table, self.policy.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})


@dataclass(frozen=True, slots=True)
class AlterPolicy(Change):
    """ALTER POLICY ... TO roles USING (...) WITH CHECK (...).

    The command and the permissiveness cannot change.
    """

    table: str
    old: Policy
    new: Policy
    deps: Deps = field(default=NO_DEPS, compare=False, repr=False)

    def sql(self) -> tuple[str, ...]:
        text = f"ALTER POLICY {quote_ident(self.new.name)} ON {self.table}"
        if self.old.roles != self.new.roles:
            text += f" TO {_roles_sql(self.new.roles)}"
        if self.new.using is not None and self.new.using != self.old.using:
            text += f" USING ({self.new.using})"
        if self.new.with_check is not None and self.new.with_check != self.old.with_check:
            text += f" WITH CHECK ({self.new.with_check})"
        return (text,)

    def describe(self) -> str:
        return f"alter policy {quote_ident(self.new.name)} on {self.table}"

    def inverse(self) -> Change:
        return AlterPolicy(self.table, self.new, self.old)

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.table,)

    @property
    def provides(self) -> frozenset[str]:
        return frozenset({pol_key(self.table, self.new.name)})

    @property
    def removes(self) -> frozenset[str]:
        # altered in place: what its old expressions used is released
        return frozenset({pol_key(self.table, self.old.name)})

    def _structural_requires(self) -> frozenset[str]:
        return frozenset({rel_key(self.table)})
