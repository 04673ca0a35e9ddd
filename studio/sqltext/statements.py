"""Facts about single SQL statements, read from pglast's parse tree (never a regex over SQL).

Used by the migration parser (which statements cannot run in a transaction)
and the runner (the index a CREATE INDEX CONCURRENTLY builds, the tables a
statement locks). A statement pglast cannot parse yields no facts: the
server is the judge of its syntax.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

from studio.model import qualname, quote_ident
from studio.sqltext.lexer import lex, literal_rows, without
from studio.sqltext.split import statement_spans


def _parse_one(sql: str) -> Any:
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import parse_sql

    # deferred: pglast loads its parser only when SQL is parsed
    from pglast.parser import ParseError

    try:
        # rows of constants name no table and no index: a 45 MB VALUES list is parsed as one row
        stmts = parse_sql(without(sql, literal_rows(sql)))
    except ParseError:
        return None  # syntax newer than pglast, or wrong: the server will say
    return stmts[0].stmt if len(stmts) == 1 else None


def option_on(options: Sequence[Any] | None, name: str) -> bool:
    """Whether a parenthesized option list (`REINDEX (CONCURRENTLY false)`) turns `name` on.

    PostgreSQL reads a boolean option as defGetBoolean does: given alone it is
    on; with a value, TRUE/ON/1 turn it on and FALSE/OFF/0 off.
    """
    on = False
    for d in options or ():
        if str(getattr(d, "defname", "")).lower() != name:
            continue
        arg = getattr(d, "arg", None)
        if arg is None:
            on = True
        elif hasattr(arg, "boolval"):
            on = bool(arg.boolval)
        elif hasattr(arg, "ival"):
            on = arg.ival != 0
        else:
            on = str(getattr(arg, "sval", "")).lower() in ("true", "on", "1")
    return on


# statement kinds that can be refused inside a transaction block, by their parse-tree node name
_MAYBE_NON_TRANSACTIONAL = frozenset({
    "IndexStmt", "DropStmt", "ReindexStmt", "VacuumStmt", "CreatedbStmt", "DropdbStmt",
    "AlterSystemStmt", "CreateTableSpaceStmt", "DropTableSpaceStmt",
})  # fmt: skip


# the first words of those statements, by PostgreSQL's grammar (keyword token names, `_P` cut)
_LEADS = frozenset({
    ("REINDEX",), ("VACUUM",), ("ALTER", "SYSTEM"),
    ("CREATE", "INDEX"), ("CREATE", "UNIQUE"), ("CREATE", "DATABASE"), ("CREATE", "TABLESPACE"),
    ("DROP", "INDEX"), ("DROP", "DATABASE"), ("DROP", "TABLESPACE"),
})  # fmt: skip


# CREATE [UNIQUE] INDEX and DROP INDEX: concurrent only with CONCURRENTLY right after INDEX
_INDEX_LEADS: dict[tuple[str, ...], int] = {
    ("CREATE", "INDEX"): 2,
    ("CREATE", "UNIQUE"): 3,
    ("DROP", "INDEX"): 2,
}


def _lead(sql: str) -> tuple[str, ...]:
    """The statement's first four tokens' names, comments skipped: its first few tokens only."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError

    words: list[str] = []
    try:
        # a short window (to the first newline or blank past 32 characters): every statement
        # of a migration is asked, and its first words are most often on its first line
        for _, _, name, kind in lex(sql, size=32):
            if kind == "NO_KEYWORD" and name in ("SQL_COMMENT", "C_COMMENT"):
                continue
            words.append(name.removesuffix("_P"))
            if len(words) == 4:
                break
    except ParseError:
        pass  # the server will say
    return tuple(words)


def _may_be_non_transactional(sql: str, lead: Sequence[str] | None = None) -> bool:
    """A look at the first words, then at the parse tree as JSON: its kind and CONCURRENTLY flag.

    Building pglast's Python tree costs ten times as much as its JSON form
    (0.47 ms against 0.04 ms for a 13-column CREATE TABLE), and every
    statement of every migration parsed is asked this. The JSON of a 45 MB
    INSERT took 14 s and 2 GB, hence the words first: an INSERT is never one
    of these.
    """
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError, parse_sql_json

    lead = tuple(lead[:4]) if lead is not None else _lead(sql)
    if lead[:1] not in _LEADS and lead[:2] not in _LEADS:
        return False
    # the grammar puts CONCURRENTLY right after INDEX: without it, an index is built or dropped
    # in the transaction (most statements of a squash baseline), and the tree need not be made
    at = _INDEX_LEADS.get(lead[:2])
    if at is not None and lead[at : at + 1] != ("CONCURRENTLY",):
        return False
    try:
        stmts = json.loads(parse_sql_json(sql)).get("stmts", [])
    except ParseError:
        return False
    if len(stmts) != 1 or len(stmt := stmts[0].get("stmt", {})) != 1:
        return False
    ((kind, fields),) = stmt.items()
    if kind in ("IndexStmt", "DropStmt"):
        return bool(fields.get("concurrent"))
    return kind in _MAYBE_NON_TRANSACTIONAL


def statement_node(sql: str) -> tuple[str, dict[str, Any]]:
    """The parse-tree node kind of one statement and its fields (JSON); ("", {}) if unparsable."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError, parse_sql_json

    try:
        stmts = json.loads(parse_sql_json(sql)).get("stmts", [])
    except ParseError:
        return "", {}
    if len(stmts) != 1 or len(stmt := stmts[0].get("stmt", {})) != 1:
        return "", {}
    ((kind, fields),) = stmt.items()
    return kind, fields


def non_transactional_statement(sql: str, lead: Sequence[str] | None = None) -> str | None:
    """What in `sql` cannot run inside a transaction block, or None.

    `lead`: the names of its first four tokens (fewer when it has fewer), comments left out,
    when the caller has lexed them already (the migration parser); else they are lexed here.
    """
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import ast

    if not _may_be_non_transactional(sql, lead):
        return None
    node = _parse_one(sql)
    if isinstance(node, ast.IndexStmt) and node.concurrent:
        return "CREATE INDEX CONCURRENTLY"
    if isinstance(node, ast.DropStmt) and node.concurrent:
        return "DROP INDEX CONCURRENTLY"
    if isinstance(node, ast.ReindexStmt) and option_on(node.params, "concurrently"):
        return "REINDEX CONCURRENTLY"
    if isinstance(node, ast.VacuumStmt):
        return "VACUUM" if node.is_vacuumcmd else None
    kinds = {
        ast.CreatedbStmt: "CREATE DATABASE",
        ast.DropdbStmt: "DROP DATABASE",
        ast.AlterSystemStmt: "ALTER SYSTEM",
        ast.CreateTableSpaceStmt: "CREATE TABLESPACE",
        ast.DropTableSpaceStmt: "DROP TABLESPACE",
    }
    for cls, what in kinds.items():
        if isinstance(node, cls):
            return what
    return None


def concurrent_index(sql: str) -> str | None:
    """The index a `CREATE INDEX CONCURRENTLY` builds, as SQL (`schema.name` or `name`)."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import ast

    node = _parse_one(sql)
    if not isinstance(node, ast.IndexStmt) or not node.concurrent or not node.idxname:
        return None
    # an index lives in its table's schema
    schema = node.relation.schemaname if node.relation is not None else None
    return qualname(schema, node.idxname) if schema else quote_ident(node.idxname)


def relations(sql: str) -> tuple[str, ...]:
    """The tables a statement names (as SQL), for reporting who holds locks on them."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import ast
    from pglast.visitors import Visitor  # deferred: pglast loads its parser only when SQL is parsed

    found: list[str] = []

    class _Collect(Visitor):
        def visit_RangeVar(self, ancestors: object, node: ast.RangeVar) -> None:
            relname = node.relname or ""
            name = qualname(node.schemaname, relname) if node.schemaname else quote_ident(relname)
            if name not in found:
                found.append(name)

    node = _parse_one(sql)
    if isinstance(node, ast.Node):
        _Collect()(node)
    for name in _dropped(node) if isinstance(node, ast.DropStmt) else ():
        if name not in found:
            found.append(name)
    return tuple(found)


def _dropped(node: Any) -> list[str]:
    """The relations a DROP names: its objects are name lists, not RangeVars."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import ast
    from pglast.enums import ObjectType  # deferred: pglast loads its parser only when SQL is parsed

    kind = ObjectType
    # a trigger, rule or policy is named after its table: DROP TRIGGER t ON s.tab is (s, tab, t)
    on_a_table = node.removeType in (kind.OBJECT_TRIGGER, kind.OBJECT_RULE, kind.OBJECT_POLICY)
    relation = node.removeType in (
        kind.OBJECT_TABLE, kind.OBJECT_INDEX, kind.OBJECT_VIEW, kind.OBJECT_MATVIEW,
        kind.OBJECT_SEQUENCE, kind.OBJECT_FOREIGN_TABLE,
    )  # fmt: skip
    names = []
    for obj in node.objects or () if on_a_table or relation else ():
        parts = [str(p.sval) for p in obj if isinstance(p, ast.String)]
        parts = parts[:-1] if on_a_table else parts
        if len(parts) >= 2:
            names.append(qualname(parts[-2], parts[-1]))
        elif parts:
            names.append(quote_ident(parts[0]))
    return names


# --- declared SQL files: what psql would do, and the roles they name -----------------

# psql meta-commands a declared schema may hold that change nothing in the
# database: pg_dump 17.6+/18 brackets its output in \restrict/\unrestrict
# (psql refuses other meta-commands meanwhile), and scripts set psql options.
HARMLESS_META_COMMANDS = frozenset(
    {"restrict", "unrestrict", "set", "unset", "echo", "encoding", "pset", "timing"}
)
_META_LINE = re.compile(r"^[ \t]*\\([A-Za-z!?.]*)[^\n]*", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class MetaCommand:
    """A psql meta-command line of a script: its name (`restrict`) and where it is."""

    name: str
    start: int
    end: int


def meta_commands(script: str) -> tuple[MetaCommand, ...]:
    """The psql meta-command lines of `script`: a backslash that starts a line outside any
    string, quoted identifier or comment (pglast's scanner says where those are)."""
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast import parser

    found: list[MetaCommand] = []
    top = 0  # a point outside any token, from which the scanner can start
    for m in _META_LINE.finditer(script):
        if m.start() < top:
            continue
        try:
            parser.scan(script[top : m.start()])
        except parser.ParseError:
            continue  # an unterminated string, dollar quote or comment holds this line
        found.append(MetaCommand(m.group(1), m.start(), m.end()))
        top = m.end()  # psql ends a meta-command at the end of its line
    return tuple(found)


def without_meta_commands(script: str, commands: Sequence[MetaCommand]) -> str:
    """`script` with the meta-command lines blanked (newlines kept, so line numbers hold)."""
    parts, last = [], 0
    for c in commands:
        parts += [script[last : c.start], " " * (c.end - c.start)]
        last = c.end
    return "".join(parts) + script[last:]


@dataclass(frozen=True, slots=True)
class RolesNamed:
    """Roles a script refers to (grantees, owners, policy roles, SET ROLE) and roles it creates."""

    named: frozenset[str] = frozenset()
    created: frozenset[str] = frozenset()


# A keyword of each statement that can name a role (where PostgreSQL's grammar takes a
# RoleSpec: OWNER TO, GRANT/REVOKE ... TO/FROM/GRANTED BY, AUTHORIZATION, FOR ROLE/USER,
# CREATE/ALTER/DROP ROLE/USER/GROUP, USER MAPPING FOR, POLICY ... TO, REASSIGN/DROP OWNED BY;
# SET ROLE, SET SESSION AUTHORIZATION, GRANT role TO): a script holding none of them as text
# names no role, and is not parsed (0.09 s for 3,000 CREATE statements)
_ROLE_WORDS = (
    "OWNER", "OWNED", "GRANT", "REVOKE", "AUTHORIZATION", "ROLE", "USER", "GROUP", "POLICY",
)  # fmt: skip


def roles_named(script: str) -> RolesNamed:
    """The roles `script` names, read from pglast's parse tree (JSON form, see above).

    A script pglast cannot parse whole (syntax newer than its grammar) is
    parsed statement by statement; a statement it cannot parse names nothing.
    """
    upper = script.upper()
    if not any(word in upper for word in _ROLE_WORDS):
        return RolesNamed()
    # deferred: pglast loads libpg_query, which the CLI does not always need
    from pglast.parser import ParseError, parse_sql_json

    # rows of constants name no role: the JSON of a 45 MB INSERT took 2 s and 400 MB
    script = without(script, literal_rows(script))
    try:
        trees = [parse_sql_json(script)]
    except ParseError:
        trees = []
        with contextlib.suppress(ParseError):
            for start, end in statement_spans(script):
                with contextlib.suppress(ParseError):
                    trees.append(parse_sql_json(script[start:end]))
    named: set[str] = set()
    created: set[str] = set()
    for tree in trees:
        # most schemas name no role: skip decoding the tree then
        if any(word in tree for word in _ROLE_NODES):
            _collect_roles(json.loads(tree), named, created)
    return RolesNamed(frozenset(named), frozenset(created))


# the parse-tree spellings that carry a role name
_ROLE_NODES = (
    '"ROLESPEC_CSTRING"',
    '"GrantRoleStmt"',
    '"CreateRoleStmt"',
    '"role"',
    '"session_authorization"',
)


def _collect_roles(node: Any, named: set[str], created: set[str]) -> None:
    """Walk a JSON parse tree for role names."""
    if isinstance(node, list):
        for item in node:
            _collect_roles(item, named, created)
        return
    if not isinstance(node, dict):
        return
    if node.get("roletype") == "ROLESPEC_CSTRING" and "rolename" in node:
        named.add(node["rolename"])
    elif "GrantRoleStmt" in node:  # the granted roles are AccessPriv nodes, not RoleSpecs
        named.update(
            p["AccessPriv"]["priv_name"] for p in node["GrantRoleStmt"].get("granted_roles", ())
        )
    elif "CreateRoleStmt" in node:
        created.add(node["CreateRoleStmt"]["role"])
    elif (v := node.get("VariableSetStmt")) and v.get("name") in ("role", "session_authorization"):
        named.update(
            a["A_Const"]["sval"]["sval"]
            for a in v.get("args", ())
            if "sval" in a.get("A_Const", {})
        )
    for value in node.values():
        _collect_roles(value, named, created)
