"""The objects the studio's panes show, with their status on each side (pure, no Textual).

Both sides of a comparison become an `ObjectTree`: schemas, then their
tables, views, enums, domains, sequences and functions; under a table its
columns, constraints, indexes, triggers and policies. Every node has an id
that is the same on both sides for the same object (`table:public.orders`,
`column:public.orders.status`); a rename maps the old side's ids onto the
new side's, so selecting an object in one pane finds it in the other.

Status is relative to the diff, which runs live (old) -> declared (new): an
object only in the declared schema is ADDED (the migration creates it), one
only in the live database is REMOVED (the migration drops it), one in both
that differs is CHANGED, else SAME. A dropped and an added object that may
be one object renamed are RENAME candidates until the user answers.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from studio.model import (
    CatalogObject,
    CompositeType,
    ConstraintKind,
    Domain,
    EnumType,
    Function,
    Schema,
    Sequence,
    Table,
    View,
    qualname,
    quote_ident,
)
from studio.model.changes.base import split_qualified
from studio.model.keys import catalog_key, con_key, fn_key, pol_key, rel_key, trg_key, type_key

if TYPE_CHECKING:
    from studio.diff import Rename, RenameCandidate


class Status(enum.StrEnum):
    """Where an object stands in the diff, on one side."""

    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    SAME = "same"
    RENAME = "rename"  # a rename candidate, not yet answered

    @property
    def symbol(self) -> str:
        """The mark shown before the name (status is never shown by colour alone)."""
        return _SYMBOLS[self]


_SYMBOLS = {
    Status.ADDED: "+",
    Status.REMOVED: "-",
    Status.CHANGED: "~",
    Status.SAME: "=",
    Status.RENAME: "?",
}

# short tags shown after a name
_CONSTRAINT_TAG = {
    ConstraintKind.PRIMARY_KEY: "pk",
    ConstraintKind.UNIQUE: "unique",
    ConstraintKind.FOREIGN_KEY: "fk",
    ConstraintKind.CHECK: "check",
    ConstraintKind.EXCLUSION: "exclude",
}


@dataclass(frozen=True, slots=True)
class Node:
    """One object in a pane."""

    id: str
    kind: str
    name: str
    status: Status
    # a short tag after the name: a column's type, `pk`, `index`, `enum`...
    tag: str = ""
    parent: str | None = None
    children: tuple[str, ...] = ()
    # the qualified name, for filtering and messages
    qualified: str = ""
    # the declared source that made it (a part of a composite schema), shown dim after the tag
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ObjectTree:
    """The nodes of one pane, with the root ids in display order.

    A table whose own status is SAME holds only SAME members under their own
    ids: those are made when first asked for (`get`, `children`, a filter
    that finds one), so a schema of thousands of tables shows at once.
    `nodes` holds the nodes made so far; ask the tree, not `nodes`.
    """

    nodes: dict[str, Node] = field(default_factory=dict)
    roots: tuple[str, ...] = ()
    # table id -> what makes its members, for the tables whose members are not made yet
    deferred: dict[str, DeferredMembers] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.nodes) + sum(d.count for d in self.deferred.values())

    def __contains__(self, node_id: object) -> bool:
        return isinstance(node_id, str) and self.get(node_id) is not None

    def get(self, node_id: str) -> Node | None:
        """The node `node_id`, if the pane has it."""
        node = self.nodes.get(node_id)
        if node is None and self.deferred:
            self._make_owner_of(node_id)
            node = self.nodes.get(node_id)
        return node

    def children(self, node_id: str) -> tuple[str, ...]:
        """The ids of a node's children, in display order (made now if they were not)."""
        if node_id in self.deferred:
            self._make(node_id)
        node = self.nodes.get(node_id)
        return node.children if node is not None else ()

    def has_children(self, node_id: str) -> bool:
        """Whether a node has children (without making them)."""
        deferred = self.deferred.get(node_id)
        if deferred is not None:
            return deferred.count > 0
        node = self.nodes.get(node_id)
        return node is not None and bool(node.children)

    def ancestors(self, node_id: str) -> list[str]:
        """The ids from the root down to (excluding) `node_id`."""
        out: list[str] = []
        node = self.get(node_id)
        while node is not None and node.parent is not None:
            out.append(node.parent)
            node = self.nodes.get(node.parent)
        return out[::-1]

    def walk(self) -> Iterator[Node]:
        """Every node, depth first in display order."""
        stack = list(reversed(self.roots))
        while stack:
            node_id = stack.pop()
            children = self.children(node_id)
            yield self.nodes[node_id]
            stack.extend(reversed(children))

    def matching(self, text: str) -> frozenset[str] | None:
        """The ids to show for a filter (matches and their ancestors); None: no filter."""
        needle = text.strip().lower()
        if not needle:
            return None
        # members not made yet: a table whose members' text has the needle makes them
        for table_id_, deferred in list(self.deferred.items()):
            if needle in deferred.haystack():
                self._make(table_id_)
        keep: set[str] = set()
        for node in self.nodes.values():
            if (
                needle in node.name.lower()
                or needle in node.qualified.lower()
                or needle in node.origin.lower()
            ):
                keep.add(node.id)
                keep.update(self.ancestors(node.id))
        return frozenset(keep)

    def counts(self) -> dict[Status, int]:
        """How many objects have each status (schemas left out)."""
        out = dict.fromkeys(Status, 0)
        for node in self.nodes.values():
            if node.kind != "schema":
                out[node.status] += 1
        out[Status.SAME] += sum(d.count for d in self.deferred.values())
        return out

    def _make(self, table_node: str) -> None:
        """Make the members of a deferred table and give the table its children."""
        deferred = self.deferred.pop(table_node)
        members = deferred.nodes(table_node)
        for member in members:
            self.nodes[member.id] = member
        self.nodes[table_node] = _with_children(
            self.nodes[table_node], tuple(m.id for m in members)
        )

    def _make_owner_of(self, node_id: str) -> None:
        """Make the members of the deferred table `node_id` would be a member of, if any.

        A member's id is `kind:<table key>.<name>`: its table's key is one of
        the prefixes of the rest that end before a dot.
        """
        rest = node_id.partition(":")[2]
        end = rest.rfind(".")
        while end > 0:
            owner = table_id(rest[:end])
            if owner in self.deferred:
                self._make(owner)
                return
            end = rest.rfind(".", 0, end)


class DeferredMembers:
    """The members of a table whose members are all SAME, to make when the pane needs them."""

    __slots__ = ("_haystack", "count", "origin", "origins", "table")

    def __init__(self, table: Table, origin: str, origins: Mapping[str, str], count: int) -> None:
        self.table = table
        # where the table came from (a member shows its own origin only when it differs)
        self.origin = origin
        self.origins = origins
        self.count = count
        self._haystack: str | None = None

    def nodes(self, parent: str) -> list[Node]:
        """The member nodes, in display order."""
        return list(member_nodes(self.table, parent, self.origin, self.origins, _same_id, _same))

    def haystack(self) -> str:
        """Every name, qualified name and origin a filter matches a member by, lowered.

        A needle in none of them is in no member; one found here may span two
        (a false hit only makes the members, which the filter then checks one by one).
        """
        if self._haystack is None:
            self._haystack = "\n".join(
                f"{n.name}\n{n.qualified}\n{n.origin}" for n in self.nodes("")
            ).lower()
        return self._haystack


def _same(_member_id: str) -> Status:
    return Status.SAME


def _same_id(member: str) -> str:
    return member


# --- ids ------------------------------------------------------------------------------


def table_id(key: str) -> str:
    """Id of a table by qualified name."""
    return f"table:{key}"


def member_id(kind: str, table_key: str, name: str) -> str:
    """Id of a column, constraint, index, trigger or policy of a table."""
    return f"{kind}:{table_key}.{quote_ident(name)}"


# --- building a side -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pair:
    """The two sides of a comparison, as the diff saw them (renames applied to the mapping)."""

    old: Schema
    new: Schema
    renames: tuple[Rename, ...] = ()
    candidates: tuple[RenameCandidate, ...] = ()


def rename_map(renames: Iterable[Rename]) -> dict[str, str]:
    """Old-side id -> new-side id for the objects that renames move (tables and what they hold)."""
    out: dict[str, str] = {}
    for r in renames:
        if r.kind == "table":
            out[table_id(r.old)] = table_id(r.new)
        else:
            old_parts, new_parts = split_qualified(r.old), split_qualified(r.new)
            old_table = qualname(old_parts[0], old_parts[1])
            new_table = qualname(new_parts[0], new_parts[1])
            out[member_id(r.kind, old_table, old_parts[2])] = member_id(
                r.kind, new_table, new_parts[2]
            )
    return out


def _table_rename_prefixes(renames: Iterable[Rename]) -> dict[str, str]:
    return {r.old: r.new for r in renames if r.kind == "table"}


def map_old_id(node_id: str, renames: tuple[Rename, ...], direct: dict[str, str]) -> str:
    """The new-side id of an old-side object (itself when nothing renamed it)."""
    if node_id in direct:
        return direct[node_id]
    kind, _, rest = node_id.partition(":")
    for old, new in _table_rename_prefixes(renames).items():
        if rest.startswith(old + "."):
            moved = f"{kind}:{new}{rest[len(old) :]}"
            return direct.get(moved, moved)
    return node_id


def _candidate_ids(candidates: Iterable[RenameCandidate]) -> tuple[set[str], set[str]]:
    old_ids: set[str] = set()
    new_ids: set[str] = set()
    for c in candidates:
        if c.kind == "table":
            old_ids.add(table_id(c.old))
            new_ids.add(table_id(c.new))
        else:
            for text, bucket in ((c.old, old_ids), (c.new, new_ids)):
                parts = split_qualified(text)
                bucket.add(member_id("column", qualname(parts[0], parts[1]), parts[2]))
    return old_ids, new_ids


class Builder:
    """Collects one side's nodes; `status_of` decides each node's status from both sides."""

    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}
        self.children: dict[str | None, list[str]] = {}

    def add(self, node: Node) -> None:
        self.nodes[node.id] = node
        self.children.setdefault(node.parent, []).append(node.id)

    def finish(self) -> ObjectTree:
        nodes = {
            nid: _with_children(n, tuple(self.children.get(nid, ())))
            for nid, n in self.nodes.items()
        }
        return ObjectTree(nodes, tuple(self.children.get(None, ())))


def _with_children(node: Node, children: tuple[str, ...]) -> Node:
    if not children:
        return node
    return dataclasses.replace(node, children=children)


def _members(t: Table) -> Iterator[tuple[str, str, str, object]]:
    """(kind, name, tag, value) of what a table holds, in display order."""
    for c in sorted(t.columns, key=lambda c: c.position):
        yield "column", c.name, c.type, c
    for k in sorted(t.constraints, key=lambda k: (list(ConstraintKind).index(k.kind), k.name)):
        yield "constraint", k.name, _CONSTRAINT_TAG.get(k.kind, "constraint"), k
    for i in sorted(t.indexes, key=lambda i: i.name):
        yield "index", i.name, "unique index" if i.unique else "index", i
    for g in sorted(t.triggers, key=lambda g: g.name):
        yield "trigger", g.name, "trigger", g
    for p in sorted(t.policies, key=lambda p: p.name):
        yield "policy", p.name, "policy", p


def _top_level(s: Schema) -> Iterator[tuple[str, str, str, str, str, object]]:
    """(kind, id, schema, name, tag, value) of the top-level objects, tables first."""
    for t in sorted(s.tables.values(), key=lambda t: (t.schema, t.name)):
        tag = "partition" if t.partition_of else ("partitioned" if t.partition_key else "")
        yield "table", table_id(t.key), t.schema, t.name, tag, t
    for v in sorted(s.views.values(), key=lambda v: (v.schema, v.name)):
        yield "view", f"view:{v.key}", v.schema, v.name, "matview" if v.materialized else "view", v
    for e in sorted(s.enums.values(), key=lambda e: (e.schema, e.name)):
        yield "enum", f"enum:{e.key}", e.schema, e.name, "enum", e
    for d in sorted(s.domains.values(), key=lambda d: (d.schema, d.name)):
        yield "domain", f"domain:{d.key}", d.schema, d.name, "domain", d
    for q in sorted(s.sequences.values(), key=lambda q: (q.schema, q.name)):
        yield "sequence", f"sequence:{q.key}", q.schema, q.name, "sequence", q
    for f in sorted(s.functions.values(), key=lambda f: (f.schema, f.name, f.arguments)):
        tag = {"p": "procedure", "a": "aggregate", "w": "window"}.get(f.kind, "function")
        yield "function", f"function:{f.key}", f.schema, f"{f.name}({f.arguments})", tag, f
    for c in sorted(s.composites.values(), key=lambda c: (c.schema, c.name)):
        yield "composite", f"composite:{c.key}", c.schema, c.name, "type", c
    for o in s.objects.values():
        schema = _object_schema(o)
        name = o.identity.partition(" ON ")[0] if o.kind == "rule" else o.identity
        yield "object", f"object:{o.key}", schema, name.removeprefix(f"{schema}."), o.kind, o


def _object_schema(o: CatalogObject) -> str:
    """The schema an object is listed under: a cast belongs to none, so its types' (else public)."""
    if o.schema is not None:
        return o.schema
    qualified = [t for t in o.types if "." in t]
    return split_qualified(qualified[0])[0] if qualified else "public"


def index_side(s: Schema) -> dict[str, object]:
    """Every object of a schema by id (the value compares as PostgreSQL would)."""
    out: dict[str, object] = {}
    for ns in s.namespaces.values():
        out[f"schema:{ns.key}"] = ns
    for ext in s.extensions.values():
        out[f"extension:{ext.key}"] = ext
    for kind, oid, _schema, _name, _tag, value in _top_level(s):
        out[oid] = value
        if kind == "table":
            assert isinstance(value, Table)
            for mkind, mname, _mtag, mvalue in _members(value):
                out[member_id(mkind, value.key, mname)] = mvalue
    return out


_MISSING = object()


class _SideIndex:
    """`index_side` of a schema, a table's members indexed when one of them is first looked up."""

    def __init__(self, s: Schema, top: list[tuple[str, str, str, str, str, object]]) -> None:
        self.values: dict[str, object] = {}
        self.tables: dict[str, Table] = {}
        for ns in s.namespaces.values():
            self.values[f"schema:{ns.key}"] = ns
        for ext in s.extensions.values():
            self.values[f"extension:{ext.key}"] = ext
        for kind, oid, _schema, _name, _tag, value in top:
            self.values[oid] = value
            if kind == "table":
                assert isinstance(value, Table)
                self.tables[oid] = value

    def get(self, oid: str) -> object:
        """The object `oid`, or `_MISSING`."""
        value = self.values.get(oid, _MISSING)
        if value is _MISSING and self.tables:
            # a member: `kind:<table key>.<name>`, its table's key a prefix of the rest
            rest = oid.partition(":")[2]
            end = rest.rfind(".")
            while end > 0:
                table = self.tables.pop(table_id(rest[:end]), None)
                if table is not None:
                    for mkind, mname, _mtag, mvalue in _members(table):
                        self.values[member_id(mkind, table.key, mname)] = mvalue
                end = rest.rfind(".", 0, end)
            value = self.values.get(oid, _MISSING)
        return value


def origin_key(value: object) -> str | None:
    """The dependency key (studio.model.keys) a top-level object's origin is recorded under."""
    if isinstance(value, Table | View | Sequence):
        return rel_key(value.key)
    if isinstance(value, Function):
        return fn_key(value.key)
    if isinstance(value, EnumType | Domain | CompositeType):
        return type_key(value.key)
    if isinstance(value, CatalogObject):
        return catalog_key(value.kind, value.identity)
    return None


def member_origin_key(kind: str, table: Table, name: str) -> str | None:
    """The dependency key of a table's index, constraint, trigger or policy (a column: None)."""
    if kind == "index":
        return rel_key(qualname(table.schema, name))
    keys = {"constraint": con_key, "trigger": trg_key, "policy": pol_key}
    return keys[kind](table.key, name) if kind in keys else None


def member_nodes(
    table: Table,
    parent: str,
    origin: str,
    origins: Mapping[str, str],
    display_id: Callable[[str], str],
    status: Callable[[str], Status],
) -> Iterator[Node]:
    """The nodes of a table's members under `parent` (`origin`: the table's)."""
    key = table.key
    for kind, name, tag, _ in _members(table):
        mid = member_id(kind, key, name)
        mkey = member_origin_key(kind, table, name)
        morigin = origins.get(mkey, "") if mkey is not None else ""
        yield Node(
            display_id(mid),
            kind,
            name,
            status(mid),
            tag,
            parent,
            (),
            f"{key}.{quote_ident(name)}",
            morigin if morigin != origin else "",
        )


def build_side(pair: Pair, side: str, origins: Mapping[str, str] | None = None) -> ObjectTree:
    """The tree of one side ("old": live, "new": declared), each node with its status.

    `origins` (dependency key -> source, for a composite declared schema) names
    where each top-level object came from, and a table's member when it came
    from elsewhere than its table (a trigger a SQL file adds to a model's table).

    The members of a table that is the same on both sides are all the same
    (the table compares by them): they are made when the pane needs them.
    """
    origins = origins or {}
    schema = pair.old if side == "old" else pair.new
    other = pair.new if side == "old" else pair.old
    direct = rename_map(pair.renames)
    # ids of this side expressed in the other side's id space, for lookups
    inverse = {v: k for k, v in direct.items()}
    back = {r.new: r.old for r in pair.renames if r.kind == "table"}

    def to_other(i: str) -> str:
        if side == "old":
            return map_old_id(i, pair.renames, direct)
        if i in inverse:
            return inverse[i]
        kind, _, rest = i.partition(":")
        for new, old in back.items():
            if rest == new or rest.startswith(new + "."):
                moved = f"{kind}:{old}{rest[len(new) :]}"
                return inverse.get(moved, moved)
        return i

    def display_id(i: str) -> str:
        # the old side shows its objects under the new side's ids (a renamed column is one object)
        return to_other(i) if side == "old" else i

    top = list(_top_level(schema))
    mine = _SideIndex(schema, top)
    theirs = _SideIndex(other, list(_top_level(other)))
    old_cands, new_cands = _candidate_ids(pair.candidates)
    candidates = old_cands if side == "old" else new_cands
    only_here = Status.REMOVED if side == "old" else Status.ADDED

    def status(oid: str) -> Status:
        if oid in candidates:
            return Status.RENAME
        peer = to_other(oid)
        theirs_value = theirs.get(peer)
        if theirs_value is _MISSING:
            return only_here
        if mine.get(oid) != theirs_value:
            return Status.CHANGED
        if peer != oid:
            return Status.CHANGED  # renamed: same definition, new name
        return Status.SAME

    b = Builder()
    names = sorted(
        {ns.name for ns in schema.namespaces.values()}
        | {t.schema for t in schema.tables.values()}
        | {v.schema for v in schema.views.values()}
        | {e.schema for e in schema.enums.values()}
        | {d.schema for d in schema.domains.values()}
        | {q.schema for q in schema.sequences.values()}
        | {f.schema for f in schema.functions.values()}
        | {c.schema for c in schema.composites.values()}
        | {_object_schema(o) for o in schema.objects.values()}
    )
    schema_nodes: dict[str, str] = {}
    for name in names:
        sid = f"schema:{quote_ident(name)}"
        st = status(sid) if mine.get(sid) is not _MISSING else Status.SAME
        schema_nodes[name] = sid
        b.add(Node(sid, "schema", name, st, "schema", None, (), quote_ident(name)))
    deferred: dict[str, DeferredMembers] = {}
    for kind, oid, sname, name, tag, value in top:
        parent = schema_nodes[sname]
        nid = display_id(oid)
        key = origin_key(value)
        origin = origins.get(key, "") if key is not None else ""
        st = status(oid)
        b.add(Node(nid, kind, name, st, tag, parent, (), qualname(sname, name), origin))
        if kind == "table":
            assert isinstance(value, Table)
            if st is Status.SAME and nid == oid:
                count = sum(
                    map(
                        len,
                        (
                            value.columns,
                            value.constraints,
                            value.indexes,
                            value.triggers,
                            value.policies,
                        ),
                    )
                )
                if count:
                    deferred[nid] = DeferredMembers(value, origin, origins, count)
            else:
                for member in member_nodes(value, nid, origin, origins, display_id, status):
                    b.add(member)
    for ext in sorted(schema.extensions.values(), key=lambda e: e.name):
        eid = f"extension:{ext.key}"
        b.add(Node(eid, "extension", ext.name, status(eid), "extension", None, (), ext.name))
    tree = _propagate(b.finish())
    return ObjectTree(tree.nodes, tree.roots, deferred)


def _propagate(tree: ObjectTree) -> ObjectTree:
    """A parent that is SAME but holds changed children is CHANGED (schemas and tables)."""
    nodes = dict(tree.nodes)

    def visit(nid: str) -> Status:
        node = nodes[nid]
        child_states = [visit(c) for c in node.children]
        if node.status is Status.SAME and any(s is not Status.SAME for s in child_states):
            node = dataclasses.replace(node, status=Status.CHANGED)
            nodes[nid] = node
        return node.status

    for root in tree.roots:
        visit(root)
    return ObjectTree(nodes, tree.roots)
