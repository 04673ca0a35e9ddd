"""The studio's pure models: object trees and their statuses, the diff pane, the review.

No database.
"""

from __future__ import annotations

from studio.diff import diff, parse_rename, rename_candidates
from studio.model import (
    Column,
    Constraint,
    ConstraintKind,
    EnumType,
    Index,
    Namespace,
    Schema,
    Table,
)
from studio.tui.definitions import definition
from studio.tui.objects import Status
from studio.tui.services import compare_schemas

PK = Constraint("orders_pkey", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)", ("id",))


def orders(*columns: Column, indexes: tuple[Index, ...] = ()) -> Table:
    return Table("public", "orders", columns=columns, constraints=(PK,), indexes=indexes)


ID = Column("id", "integer", not_null=True, position=1)
STATUS = Column("status", "character varying(50)", position=2)
ORDER_STATUS = Column("order_status", "public.order_status", position=3)
NS = {"public": Namespace("public")}


def schemas() -> tuple[Schema, Schema]:
    old = Schema(namespaces=NS, tables={"public.orders": orders(ID, STATUS)})
    new = Schema(
        namespaces=NS,
        tables={
            "public.orders": orders(
                ID,
                ORDER_STATUS,
                indexes=(
                    Index(
                        "orders_status_idx",
                        "CREATE INDEX orders_status_idx ON public.orders"
                        " USING btree (order_status)",
                    ),
                ),
            )
        },
        enums={"public.order_status": EnumType("public", "order_status", ("a", "b"))},
    )
    return old, new


def test_statuses_on_each_side() -> None:
    old, new = schemas()
    c = compare_schemas(old, new)
    declared, live = c.left, c.right
    assert declared.get("enum:public.order_status").status is Status.ADDED
    assert declared.get("index:public.orders.orders_status_idx").status is Status.ADDED
    assert declared.get("column:public.orders.id").status is Status.SAME
    assert declared.get("column:public.orders.order_status").status is Status.RENAME  # a candidate
    assert live.get("column:public.orders.status").status is Status.RENAME
    # a parent holding changes is changed
    assert declared.get("table:public.orders").status is Status.CHANGED
    assert declared.get("schema:public").status is Status.CHANGED
    # every status has its symbol: never colour alone
    assert {s.symbol for s in Status} == {"+", "-", "~", "=", "?"}


def test_without_the_candidate_drop_and_add() -> None:
    _, new = schemas()
    old2 = Schema(
        namespaces=NS, tables={"public.orders": orders(ID, Column("note", "integer", position=2))}
    )
    c = compare_schemas(old2, new)
    assert not c.candidates
    assert c.right.get("column:public.orders.note").status is Status.REMOVED
    assert c.left.get("column:public.orders.order_status").status is Status.ADDED


def test_accepted_rename_maps_ids_across_sides() -> None:
    old, new = schemas()
    hint = rename_candidates(old, new)[0].hint
    c = compare_schemas(old, new, [hint])
    assert not c.candidates
    # the live column is shown under the id of the column it becomes
    node = c.right.get("column:public.orders.order_status")
    assert node is not None and node.name == "status" and node.status is Status.CHANGED
    assert c.old_id("column:public.orders.order_status") == "column:public.orders.status"
    assert "character varying(50)" in definition(c.old, c.old_id(node.id))
    assert any(ch.kind == "rename_column" for ch in c.changes)


def test_diff_pane_groups_changes_under_their_object() -> None:
    old, new = schemas()
    c = compare_schemas(old, new)
    tree = c.diff.tree
    assert tree.roots[0] == "renames"
    groups = {n.id for n in tree.walk() if n.kind == "group"}
    assert "group:table:public.orders" in groups and "group:enum:public.order_status" in groups
    # the index's change concerns the index and its table
    index_changes = c.diff.concerning["index:public.orders.orders_status_idx"]
    assert [c.changes[i].kind for i in index_changes] == ["create_index"]
    # short labels: the group says the table
    labels = [n.name for n in tree.walk() if n.kind == "change"]
    assert "drop column status" in labels


def test_a_group_is_added_only_when_its_object_is() -> None:
    """A table that stays, with only additions: changed (~), not added (+)."""
    old = Schema(namespaces=NS, tables={"public.orders": orders(ID)})
    note = Column("note", "text", position=2)
    gone = Schema(namespaces=NS)
    new = Schema(
        namespaces=NS,
        tables={"public.orders": orders(ID, note)},
        enums={"public.order_status": EnumType("public", "order_status", ("a", "b"))},
    )
    nodes = {n.id: n for n in compare_schemas(old, new).diff.tree.walk()}
    assert nodes["group:table:public.orders"].status is Status.CHANGED
    assert nodes["group:enum:public.order_status"].status is Status.ADDED
    assert nodes["group:table:public.orders"].status is not Status.ADDED
    nodes = {n.id: n for n in compare_schemas(new, old).diff.tree.walk()}
    assert nodes["group:table:public.orders"].status is Status.CHANGED  # only a drop column
    assert nodes["group:enum:public.order_status"].status is Status.REMOVED
    nodes = {n.id: n for n in compare_schemas(old, gone).diff.tree.walk()}
    assert nodes["group:table:public.orders"].status is Status.REMOVED


def test_filter_keeps_matches_and_their_ancestors() -> None:
    old, new = schemas()
    c = compare_schemas(old, new)
    keep = c.left.matching("status_idx")
    assert keep == {"schema:public", "table:public.orders", "index:public.orders.orders_status_idx"}
    assert c.left.matching("  ") is None


def test_definitions_are_the_create_statements() -> None:
    old, new = schemas()
    assert (
        definition(new, "enum:public.order_status")
        == "CREATE TYPE public.order_status AS ENUM ('a', 'b');"
    )
    table = definition(old, "table:public.orders")
    assert table is not None and table.startswith("CREATE TABLE public.orders (")
    assert "ADD CONSTRAINT orders_pkey PRIMARY KEY (id)" in table
    assert definition(old, "enum:public.order_status") is None


def test_review_decisions_forms_and_file() -> None:
    from studio.commands.draft import PlanInput
    from studio.tui.review import Decision, Review, suggested_name

    old, new = schemas()
    renames = [parse_rename(rename_candidates(old, new)[0].hint, old, new)]
    changes = tuple(diff(old, new, renames))
    src = PlanInput(old, new, 180000, (), tuple(renames), changes, (), ())
    r = Review(src)
    kinds = [item.plain[0].kind for item in r.items]
    i = kinds.index("create_index")
    assert r.form(i) == "safe" and "CONCURRENTLY" in r.sql(i)
    assert r.toggle_form(i) and r.form(i) == "plain" and "CONCURRENTLY" not in r.sql(i)
    assert r.toggle_form(i) and r.form(i) == "safe"
    assert not r.toggle_form(kinds.index("create_enum"))  # one form only
    # facts: the index build takes SHARE UPDATE EXCLUSIVE on orders in its safe form
    locks = [line for f in r.facts(i) for line in (f.locks or ())]
    assert any(
        line.mode == "SHARE UPDATE EXCLUSIVE" and line.relation == "public.orders" for line in locks
    )
    r.approve_all()
    r.skip(i)
    s = r.summary()
    assert (s.approved, s.skipped, s.pending) == (len(r) - 1, 1, 0)
    # the name the studio suggests is the one `generate` gives without --name
    name = suggested_name(r.approved_changes())
    assert name == "rename_orders_status_and_2_more"
    out = r.render("20260101000000", name)
    assert "orders_status_idx" not in out.text
    assert (
        "schema-after" not in out.text
    )  # a skipped step: the file does not reach the declared schema
    assert r.decisions[i] is Decision.SKIPPED
    # the rename can go through expand/contract
    j = kinds.index("rename_column")
    assert r.can_split(j) and r.toggle_split(j) and r.is_split(j)


def test_failure_state_says_what_the_database_holds() -> None:
    from studio.run.events import MigrationFailed
    from studio.tui.state import RunProgress, failure_state

    def text(parts: list[str | tuple[str, str]]) -> str:
        return "".join(p if isinstance(p, str) else p[0] for p in parts)

    failed = MigrationFailed(at=0.0, version="20260101000002", name="x", index=3, message="m")
    whole = RunProgress(version="20260101000002", transactional=True, finished=["20260101000001"])
    out = text(failure_state(whole, failed, aborted=True))
    assert out.startswith("aborted: ") and "rolled back: none of it is applied" in out
    assert "applied before it: 20260101000001" in out
    steps = RunProgress(
        version="20260101000002",
        transactional=False,
        done_steps=[1, 2],
        current_transactional=False,
    )
    out = text(failure_state(steps, failed, aborted=False))
    assert out.startswith("failed: ")
    assert "steps 1-2 of 20260101000002 are committed and recorded; step 3 was rolled back" in out
    assert "invalid index" in out and "resume at step 3" in out
    one = RunProgress(version="20260101000002", transactional=False, done_steps=[1])
    out = text(failure_state(one, failed, aborted=True))
    assert "step 1 of 20260101000002 is committed and recorded" in out  # not "steps 1-1 ... are"


def test_a_table_the_same_on_both_sides_makes_its_members_when_asked() -> None:
    """Its members are all the same: made on demand, yet counted, found and walked."""
    old, new = schemas()
    email = Column("email", "text", position=2)
    customers = Table(
        "public",
        "customers",
        columns=(ID, email),
        constraints=(Constraint("customers_pkey", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)"),),
        indexes=(Index("customers_email_idx", "CREATE INDEX customers_email_idx ON ..."),),
    )
    old = Schema(namespaces=NS, tables={**old.tables, "public.customers": customers})
    new = Schema(
        namespaces=NS, tables={**new.tables, "public.customers": customers}, enums=new.enums
    )
    c = compare_schemas(old, new)
    for tree in (c.left, c.right):
        assert tree.get("table:public.customers").status is Status.SAME
        # not made up front, but the pane knows the table opens
        assert "column:public.customers.email" not in tree.nodes
        assert tree.has_children("table:public.customers")
        # counted: id, email, the primary key and the index, all the same
        same = sum(1 for n in tree.walk() if n.status is Status.SAME and n.kind != "schema")
        assert tree.counts()[Status.SAME] == same
    # a filter finds a member not made yet, and makes it
    assert c.left.matching("email_idx") == {
        "schema:public",
        "table:public.customers",
        "index:public.customers.customers_email_idx",
    }
    assert "index:public.customers.customers_email_idx" in c.left.nodes
    # asking for a member makes its table's members, in display order
    assert c.right.get("column:public.customers.email").status is Status.SAME
    assert c.right.children("table:public.customers") == (
        "column:public.customers.id",
        "column:public.customers.email",
        "constraint:public.customers.customers_pkey",
        "index:public.customers.customers_email_idx",
    )
    assert "column:public.customers.nope" not in c.right
