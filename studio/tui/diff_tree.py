"""The diff pane: changes grouped under the object they concern (pure, no Textual).

Each change is listed under one object (its table, else its own object), and
indexed by every object it concerns, so selecting an object in the Declared
or Live pane finds its changes, and selecting a change finds its object.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from studio.model import Schema, qualname
from studio.model.changes.base import split_qualified
from studio.tui.objects import Builder, Node, ObjectTree, Status, member_id, table_id

if TYPE_CHECKING:
    from studio.diff import RenameCandidate
    from studio.model.changes import Change


def _dep_to_ids(key: str, lookup: dict[str, str]) -> str | None:
    """A change dependency key (`rel:`, `col:`...) -> an object id, when it names one."""
    kind, _, rest = key.partition(":")
    if kind == "col":
        return _member_from_key("column", rest)
    if kind == "con":
        return _member_from_key("constraint", rest)
    if kind == "rel":
        return lookup.get(rest, table_id(rest))
    if kind == "type":
        return lookup.get(f"type:{rest}")
    if kind == "fn":
        return f"function:{rest}"
    if kind == "nsp":
        return f"schema:{rest}"
    if kind == "ext":
        return f"extension:{rest}"
    if kind == "obj":
        return f"object:{rest}"
    return None


def _member_from_key(kind: str, rest: str) -> str:
    parts = split_qualified(rest)
    if len(parts) < 3:
        return f"{kind}:{rest}"
    return member_id(kind, qualname(parts[0], parts[1]), parts[2])


def relation_lookup(*schemas: Schema) -> dict[str, str]:
    """Qualified relation or type name -> object id, for resolving change keys."""
    out: dict[str, str] = {}
    for s in schemas:
        _add_relations(s, out)
    return out


def _add_relations(s: Schema, *lookups: dict[str, str]) -> None:
    """Add the relations and types of `s` to each of `lookups`, in one pass."""

    def put(key: str, value: str) -> None:
        for out in lookups:
            out[key] = value

    for t in s.tables.values():
        put(t.key, table_id(t.key))
        for i in t.indexes:
            put(qualname(t.schema, i.name), member_id("index", t.key, i.name))
        for c in t.constraints:
            if c.index:
                cid = member_id("constraint", t.key, c.name)
                for out in lookups:
                    out.setdefault(qualname(t.schema, c.index), cid)
    for v in s.views.values():
        put(v.key, f"view:{v.key}")
    for q in s.sequences.values():
        put(q.key, f"sequence:{q.key}")
    for e in s.enums.values():
        put(f"type:{e.key}", f"enum:{e.key}")
    for d in s.domains.values():
        put(f"type:{d.key}", f"domain:{d.key}")
    for ct in s.composites.values():
        put(f"type:{ct.key}", f"composite:{ct.key}")
    for o in s.objects.values():
        if o.kind == "range type":
            put(f"type:{o.identity}", f"object:{o.key}")


def subjects(change: Change, lookup: dict[str, str]) -> frozenset[str]:
    """The ids of the objects a change concerns (what it creates, drops, alters)."""
    keys = set(change.provides | change.removes)
    if not keys:
        keys |= {k for k in change.requires if not k.startswith(("nsp:", "ext:"))}
    ids = {i for k in keys if (i := _dep_to_ids(k, lookup)) is not None}
    ids |= {table_id(t) for t in change.targets}
    table = getattr(change, "table", None)
    for attr, kind in (("trigger", "trigger"), ("policy", "policy")):
        value = getattr(change, attr, None)
        if isinstance(table, str) and value is not None:
            ids.add(member_id(kind, table, getattr(value, "name", str(value))))
    return frozenset(ids)


def subject_of(change: Change, lookup: dict[str, str]) -> str:
    """The one object a change is listed under in the diff pane (a table, else its own object)."""
    targets = change.targets
    if targets:
        return table_id(targets[0])
    ids = sorted(subjects(change, lookup))
    return ids[0] if ids else f"change:{change.kind}"


@dataclass(frozen=True, slots=True)
class DiffTree:
    """The diff pane: changes grouped under the object they concern, candidates first."""

    tree: ObjectTree
    # node id of a change leaf -> index into the change list
    change_of: dict[str, int]
    # node id of a candidate leaf -> index into the candidates
    candidate_of: dict[str, int]
    # object id -> indexes of the changes that concern it
    concerning: dict[str, tuple[int, ...]]


def build_diff(
    changes: tuple[Change, ...],
    candidates: tuple[RenameCandidate, ...],
    old: Schema,
    new: Schema,
) -> DiffTree:
    """The diff pane's tree and the index from objects to their changes."""
    # one pass over each side: the lookup of both, and the objects of each
    lookup: dict[str, str] = {}
    old_lookup: dict[str, str] = {}
    new_lookup: dict[str, str] = {}
    _add_relations(old, lookup, old_lookup)
    _add_relations(new, lookup, new_lookup)
    b = Builder()
    change_of: dict[str, int] = {}
    candidate_of: dict[str, int] = {}
    concerning: dict[str, list[int]] = {}
    if candidates:
        b.add(Node("renames", "group", "possible renames", Status.RENAME, str(len(candidates))))
        for i, c in enumerate(candidates):
            nid = f"candidate:{i}"
            candidate_of[nid] = i
            label = f"{c.old} → {c.new}"
            tag = f"{c.kind}" + (f" {c.score:.0%}" if c.kind == "table" else "")
            b.add(Node(nid, "candidate", label, Status.RENAME, tag, "renames", (), label))
    groups: dict[str, str] = {}
    for i, change in enumerate(changes):
        for sid in subjects(change, lookup):
            concerning.setdefault(sid, []).append(i)
        subject = subject_of(change, lookup)
        if subject not in groups:
            gid = f"group:{subject}"
            groups[subject] = gid
            kind, _, name = subject.partition(":")
            b.add(Node(gid, "group", name, Status.CHANGED, kind, None, (), name))
        nid = f"change:{i}"
        change_of[nid] = i
        b.add(
            Node(
                nid,
                "change",
                _short(change.describe(), subject.partition(":")[2]),
                _change_status(change),
                "destructive" if change.destructive else "",
                groups[subject],
                (),
                change.describe(),
            )
        )
    tree = b.finish()
    # a group is ADDED/REMOVED when all its changes are, and its object is not on the
    # other side (a column added to a table that stays: the table is CHANGED)
    nodes = dict(tree.nodes)
    existed, remains = _object_ids(old, old_lookup), _object_ids(new, new_lookup)
    for subject, gid in groups.items():
        g = nodes[gid]
        states = {nodes[c].status for c in g.children}
        if len(states) != 1:
            continue
        state = states.pop()
        if (state is Status.ADDED and subject in existed) or (
            state is Status.REMOVED and subject in remains
        ):
            state = Status.CHANGED
        nodes[gid] = Node(g.id, g.kind, g.name, state, g.tag, g.parent, g.children, g.qualified)
    return DiffTree(
        ObjectTree(nodes, tree.roots),
        change_of,
        candidate_of,
        {k: tuple(v) for k, v in concerning.items()},
    )


def _object_ids(schema: Schema, lookup: dict[str, str]) -> set[str]:
    """The ids of a side's objects a diff group can be about (`lookup`: the side's relations)."""
    ids = set(lookup.values())
    ids |= {f"function:{k}" for k in schema.functions}
    ids |= {f"schema:{k}" for k in schema.namespaces}
    ids |= {f"extension:{k}" for k in schema.extensions}
    return ids


def _short(text: str, qualified: str) -> str:
    """A change's description without its table's name (the group above says it)."""
    text = text.replace(f" {qualified}.", " ").replace(f" on {qualified}", "")
    return text.replace(f" {qualified}", " ").replace("  ", " ").strip()


def _change_status(change: Change) -> Status:
    """What a change does to its object: adds, removes or changes it.

    A change that may lose data without dropping its object (a type change)
    changes it: the leaf says so with its `destructive` tag, not a `-`.
    """
    kind = change.kind
    if kind.startswith(("create_", "add_")):
        return Status.ADDED
    if kind.startswith("drop_"):
        return Status.REMOVED
    return Status.CHANGED
