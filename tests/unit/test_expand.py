"""Expand/contract planning, the backfill step's format and the contract gate (pure)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from pglast import parse_sql

from studio.diff import Rename, diff
from studio.errors import MigrationFileError, StudioError
from studio.migrations.files import Migration, Phase, StepSpec, parse_text, render_migration
from studio.model import Column, Constraint, ConstraintKind, EnumType, Index, Schema, Table
from studio.model.changes import Change
from studio.plan import expand
from studio.plan.expand import ColumnMove, ExpandUnsupported, Options
from studio.run import backfill, inflight, phases
from studio.run.history import HistoryRow, Kind


def table(
    *columns: Column, constraints: tuple[Constraint, ...] = (), indexes: tuple[Index, ...] = ()
) -> Table:
    pk = Constraint(
        "orders_pkey", ConstraintKind.PRIMARY_KEY, "PRIMARY KEY (id)", ("id",), index="orders_pkey"
    )
    return Table(
        "public",
        "orders",
        (Column("id", "integer", not_null=True), *columns),
        (pk, *constraints),
        indexes,
    )


def schema(t: Table, *enums: EnumType) -> Schema:
    return Schema(tables={t.key: t}, enums={e.key: e for e in enums})


STATUS = Column("status", "character varying(50)", default="'pending'::character varying")
ORDER_STATUS = Column(
    "order_status", "public.order_status", default="'pending'::public.order_status"
)
ENUM = EnumType("public", "order_status", ("pending", "paid", "shipped"))
QTY = Column("qty", "integer", not_null=True, default="0")
QTY_CHECK = Constraint("orders_qty_check", ConstraintKind.CHECK, "CHECK ((qty >= 0))", ("qty",))


def steps_of(c: Change) -> list[StepSpec]:
    """A plain change as a step (generate adds lock notes; the plan does not care)."""
    return [StepSpec(c.sql(), (c.describe(),), transactional=c.transactional)]


def planned(
    old: Schema, new: Schema, renames: tuple[Rename, ...] = (), **kw: object
) -> expand.Phases | None:
    options = Options(**{"force": True, **kw})  # type: ignore[arg-type]
    return expand.plan_phases(diff(old, new, renames), old, new, steps_of, options)


def sql_of(specs: tuple[StepSpec, ...]) -> list[str]:
    return [str(s) for spec in specs for s in spec.statements]


def test_rename_to_an_enum_plans_expand_and_contract() -> None:
    old, new = schema(table(STATUS)), schema(table(ORDER_STATUS), ENUM)
    p = planned(old, new, (Rename("column", "public.orders.status", "public.orders.order_status"),))
    assert p is not None
    (move,) = p.moves
    assert isinstance(move, ColumnMove) and move.renamed and move.physical == "order_status"
    up = sql_of(p.expand)
    assert up[0].startswith("CREATE TYPE public.order_status")  # what the new column needs, first
    assert up[1] == "ALTER TABLE public.orders ADD COLUMN order_status public.order_status"
    assert up[2].startswith("CREATE FUNCTION public.orders_order_status_sync() RETURNS trigger")
    assert "NEW.order_status := NEW.status::public.order_status;" in up[2]
    assert "NEW.status := NEW.order_status::character varying(50);" in up[2]
    assert up[3].startswith(
        "CREATE TRIGGER orders_order_status_sync BEFORE INSERT OR UPDATE OF status, order_status"
    )
    assert p.expand[-1].backfill
    down = sql_of(p.contract)
    assert down == [
        "DROP TRIGGER orders_order_status_sync ON public.orders",
        "DROP FUNCTION public.orders_order_status_sync()",
        "ALTER TABLE public.orders DROP COLUMN status",
        "ALTER TABLE public.orders ALTER COLUMN order_status"
        " SET DEFAULT 'pending'::public.order_status",
    ]
    assert (
        p.expand_down is not None and sql_of(p.expand_down)[-1] == "DROP TYPE public.order_status"
    )
    for statement in up + down:
        parse_sql(statement)  # every statement is PostgreSQL's


def test_int_to_bigint_goes_through_a_temporary_column_renamed_at_contract() -> None:
    old = schema(table(QTY, constraints=(QTY_CHECK,)))
    new = schema(table(replace(QTY, type="bigint"), constraints=(QTY_CHECK,)))
    p = planned(old, new)
    assert p is not None
    (move,) = p.moves
    assert isinstance(move, ColumnMove) and move.physical == "qty__new"
    up = sql_of(p.expand)
    assert up[0] == "ALTER TABLE public.orders ADD COLUMN qty__new bigint"
    # the declared CHECK on the new column, under a temporary name, NOT VALID
    assert (
        up[3] == "ALTER TABLE public.orders ADD CONSTRAINT orders_qty_check__new"
        " CHECK (qty__new >= 0) NOT VALID"
    )
    assert "UPDATE public.orders SET qty__new = qty::bigint" in up[4]
    # NOT NULL at contract (a NOT VALID check would refuse updates of rows not backfilled yet)
    assert sql_of(p.contract) == [
        "ALTER TABLE public.orders ADD CONSTRAINT orders_qty_nn_check"
        " CHECK (qty__new IS NOT NULL) NOT VALID",
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_qty_check__new",
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_qty_nn_check",
        "DROP TRIGGER orders_qty_sync ON public.orders",
        "DROP FUNCTION public.orders_qty_sync()",
        "ALTER TABLE public.orders DROP COLUMN qty",
        "ALTER TABLE public.orders RENAME COLUMN qty__new TO qty",
        "ALTER TABLE public.orders RENAME CONSTRAINT orders_qty_check__new TO orders_qty_check",
        "ALTER TABLE public.orders ALTER COLUMN qty SET DEFAULT 0",
        "ALTER TABLE public.orders ALTER COLUMN qty SET NOT NULL",
        "ALTER TABLE public.orders DROP CONSTRAINT orders_qty_nn_check",
    ]
    # the swap is one step: one short transaction
    assert len(p.contract[-1].statements) == 8


def test_not_null_on_a_nullable_column_is_checked_at_contract() -> None:
    old = schema(table(replace(QTY, not_null=False)))
    new = schema(table(replace(QTY, type="bigint")))
    p = planned(old, new)
    assert p is not None
    assert not any("nn_check" in s for s in sql_of(p.expand))
    assert sql_of(p.contract)[:2] == [
        "ALTER TABLE public.orders ADD CONSTRAINT orders_qty_nn_check"
        " CHECK (qty__new IS NOT NULL) NOT VALID",
        "ALTER TABLE public.orders VALIDATE CONSTRAINT orders_qty_nn_check",
    ]


def test_when_phases_apply() -> None:
    old = schema(table(QTY))
    new = schema(table(replace(QTY, type="bigint")))
    changes = diff(old, new)
    assert expand.plan_phases(changes, old, new, steps_of, Options()) is None
    small = Options(sizes={"public.orders": 10}, threshold=1000)
    assert expand.plan_phases(changes, old, new, steps_of, small) is None
    big = Options(sizes={"public.orders": 5000}, threshold=1000)
    assert expand.plan_phases(changes, old, new, steps_of, big) is not None
    # a widening that does not rewrite stays plain
    wide_old = schema(table(Column("note", "character varying(20)")))
    wide_new = schema(table(Column("note", "character varying(40)")))
    assert (
        expand.plan_phases(
            diff(wide_old, wide_new), wide_old, wide_new, steps_of, Options(force=True)
        )
        is None
    )


def test_unsupported_column_is_refused_when_asked_and_noted_otherwise() -> None:
    key = Constraint("orders_qty_key", ConstraintKind.UNIQUE, "UNIQUE (qty)", ("qty",))
    old = schema(table(QTY, constraints=(key,)))
    new = schema(table(replace(QTY, type="bigint"), constraints=(key,)))
    with pytest.raises(ExpandUnsupported, match="part of unique orders_qty_key"):
        planned(old, new)
    p = expand.plan_phases(
        diff(old, new), old, new, steps_of, Options(sizes={"public.orders": 10**9})
    )
    assert p is not None and not p.moves and "orders_qty_key" in p.notes[0]


def test_indexes_of_the_column_are_rebuilt_concurrently_at_contract() -> None:
    def index(name: str, definition: str, unique: bool = False) -> Index:
        return Index(
            name, f"CREATE {'UNIQUE ' * unique}INDEX {name} ON public.orders {definition}", unique
        )

    indexes = (
        index("orders_qty_idx", "USING btree (qty)"),
        index("orders_qty_big", "USING btree (id) WHERE (qty > 10)"),
        index("orders_qty_key", "USING btree (((qty * 2)))", unique=True),
        index("orders_other", "USING btree (id)"),  # not on the column: left alone
    )
    old = schema(table(QTY, indexes=indexes))
    new = schema(table(replace(QTY, type="bigint"), indexes=indexes))
    p = planned(old, new)
    assert p is not None
    contract = sql_of(p.contract)
    built = [s for s in contract if s.startswith("CREATE")]
    assert built == [
        "CREATE INDEX CONCURRENTLY orders_qty_idx__new ON public.orders USING btree (qty__new)",
        "CREATE INDEX CONCURRENTLY orders_qty_big__new"
        " ON public.orders USING btree (id) WHERE (qty__new > 10)",
        "CREATE UNIQUE INDEX CONCURRENTLY orders_qty_key__new ON public.orders"
        " USING btree (((qty__new * 2)))",
    ]
    assert [
        not s.transactional for s in p.contract if any("CREATE" in str(x) for x in s.statements)
    ] == [True] * 3
    renames = [s for s in contract if s.startswith("ALTER INDEX")]
    assert renames == [
        f"ALTER INDEX public.{n}__new RENAME TO {n}"
        for n in ("orders_qty_idx", "orders_qty_big", "orders_qty_key")
    ]
    # the renames come after the old column (and its indexes) is dropped
    assert contract.index("ALTER TABLE public.orders DROP COLUMN qty") < contract.index(renames[0])
    # a renamed column: the new index names are free at once
    renamed = schema(
        table(
            replace(QTY, name="quantity"),
            indexes=(index("orders_quantity_idx", "USING btree (quantity)"),),
        )
    )
    p = planned(old, renamed, (Rename("column", "public.orders.qty", "public.orders.quantity"),))
    assert p is not None
    assert [s for s in sql_of(p.contract) if "INDEX" in s] == [
        "CREATE INDEX CONCURRENTLY orders_quantity_idx ON public.orders USING btree (quantity)"
    ]
    # the diff's own drop of the old indexes and creation of the new one are the move's:
    # none runs during expand (the old application keeps its indexes until contract);
    # orders_other, on another column, is dropped as declared
    assert [s for s in sql_of(p.expand) if "INDEX" in s] == ["DROP INDEX public.orders_other"]


def test_table_rename_keeps_an_updatable_view() -> None:
    old = schema(table(QTY))
    new = Schema(tables={"public.purchases": replace(table(QTY), name="purchases")})
    p = planned(old, new, (Rename("table", "public.orders", "public.purchases"),))
    assert p is not None
    assert sql_of(p.expand) == [
        "ALTER TABLE public.orders RENAME TO purchases",
        "CREATE VIEW public.orders AS SELECT * FROM public.purchases",
    ]
    assert sql_of(p.contract) == ["DROP VIEW public.orders"]


def test_backfill_step_round_trips_through_the_file_format() -> None:
    p = planned(schema(table(QTY)), schema(table(replace(QTY, type="bigint"))), batch_size=2500)
    assert p is not None
    text = render_migration("20250101000000", p.expand, phase=Phase.EXPAND)
    parsed = parse_text(text)
    assert parsed.phase is Phase.EXPAND
    step = parsed.steps[-1]
    assert (
        step.backfill and "backfill table=public.orders key=id batch_size=2500" in step.annotations
    )
    spec = backfill.parse_step(step)
    assert (spec.table, spec.key, spec.batch_size, spec.sources) == (
        "public.orders",
        "id",
        2500,
        ("qty",),
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE t SET b = a WHERE id > $1",
        "UPDATE t SET b = a WHERE id >= $1 AND other <= $2",
        "SELECT 1",
        "UPDATE t SET b = a WHERE id >= $1 AND id <= $2; UPDATE t SET c = 1",
    ],
)
def test_backfill_step_of_another_shape_is_refused(sql: str) -> None:
    step = parse_text(f"-- schema-studio:step\n-- schema-studio:backfill\n{sql};\n").steps[0]
    with pytest.raises(MigrationFileError, match="backfill step 1"):
        backfill.parse_step(step)


def test_bounds_may_be_written_either_way_round() -> None:
    step = parse_text(
        "-- schema-studio:step\n-- schema-studio:backfill\n"
        'UPDATE s."T" SET b = a::bigint WHERE $2 >= "Id" AND $1 <= "Id";\n'
    ).steps[0]
    spec = backfill.parse_step(step)
    assert (spec.table, spec.key, spec.batch_size) == ('s."T"', "Id", expand.DEFAULT_BATCH_SIZE)


# --- pairs and the gate ---------------------------------------------------------------------


def migration(
    version: str, phase: Phase | None, description: tuple[str, ...] = (), backfill_at: int = 0
) -> Migration:
    backfill = "-- schema-studio:backfill\nUPDATE t SET b = a WHERE id >= $1 AND id <= $2"
    steps = parse_text(
        "".join(
            f"-- schema-studio:step\n{backfill if i == backfill_at else 'SELECT 1'};\n"
            for i in (1, 2, 3)
        )
    ).steps
    return Migration(
        version, f"m{version[-1]}", Path(f"{version}_m.sql"), steps, phase, description=description
    )


def row(m: Migration, steps_done: int, finished: bool) -> HistoryRow:
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    return HistoryRow(
        m.version,
        m.name,
        m.checksum,
        Kind.MIGRATE,
        steps_done,
        3,
        0,
        now,
        now if finished else None,
        1,
        "me",
        None,
        "0",
    )


def test_contract_pairs_with_its_expand_and_is_gated() -> None:
    e1 = migration("20250101000001", Phase.EXPAND, backfill_at=3)
    e2 = migration("20250101000002", Phase.EXPAND, backfill_at=3)
    c1 = migration(
        "20250101000003", Phase.CONTRACT, ("expand migration: 20250101000001_m1_expand",)
    )
    c2 = migration("20250101000004", Phase.CONTRACT)
    ms = [e1, e2, c1, c2]
    assert phases.expand_of(c1, ms) is e1
    assert phases.expand_of(c2, ms) is e2  # no header line: the nearest expand before it
    with pytest.raises(phases.ContractBlocked):
        phases.gate(c1, ms, set(), confirmed=True)
    with pytest.raises(phases.ContractNotConfirmed, match="drops what the old application version"):
        phases.gate(c1, ms, {e1.version}, confirmed=False)
    phases.gate(c1, ms, {e1.version}, confirmed=True)

    progress = [
        backfill.Progress(e2.version, 3, "public.t", "id", "100", "40", 100, 40, 40, 4, False)
    ]
    pairs = phases.pairs(ms, [row(e1, 3, True), row(c1, 3, True), row(e2, 2, False)], progress)
    assert [(p.expand.version, p.state) for p in pairs] == [
        (e1.version, phases.PairState.CONTRACTED),
        (e2.version, phases.PairState.BACKFILLING),
    ]
    assert pairs[1].describe() == "backfilling 40% (40/100 rows)"
    assert phases.pairs(ms, [row(e2, 3, True)], ())[1].state is phases.PairState.BACKFILLED
    assert phases.pairs(ms, [row(e2, 1, False)], ())[1].state is phases.PairState.EXPANDING
    assert phases.pairs(ms, [], ())[0].state is phases.PairState.PENDING


def sql_migration(version: str, phase: Phase | None, sql: str, expand_of: str = "") -> Migration:
    description = (f"expand migration: {expand_of}_x",) if expand_of else ()
    steps = parse_text(sql).steps
    return Migration(
        version, f"m{version[-2:]}", Path(f"{version}_m.sql"), steps, phase, description=description
    )


def test_later_migrations_pass_a_waiting_contract_unless_they_use_what_it_drops() -> None:
    # A: items.qty integer -> bigint through qty__new; B: users.email -> mail
    a_e = sql_migration(
        "20250101000001", Phase.EXPAND, "ALTER TABLE items ADD COLUMN qty__new bigint;"
    )
    a_c = sql_migration(
        "20250101000002",
        Phase.CONTRACT,
        "ALTER TABLE public.items DROP COLUMN qty;\n"
        "ALTER TABLE public.items RENAME COLUMN qty__new TO qty;",
        a_e.version,
    )
    b_e = sql_migration("20250101000003", Phase.EXPAND, "ALTER TABLE users ADD COLUMN mail text;")
    b_c = sql_migration(
        "20250101000004", Phase.CONTRACT, "ALTER TABLE users DROP COLUMN email;", b_e.version
    )
    plain = sql_migration("20250101000005", None, "ALTER TABLE items ADD COLUMN note text;")
    uses_qty = sql_migration("20250101000006", None, "CREATE INDEX i ON public.items (qty);")
    view = sql_migration("20250101000007", None, "CREATE VIEW v AS SELECT email FROM users;")
    ms = [a_e, a_c, b_e, b_c, plain, uses_qty, view]
    todo = [(m, None) for m in ms[1:5]]
    finished = {a_e.version}

    run = inflight.schedule(todo, ms, finished, False)
    assert [m.version for m, _ in run.run] == [b_e.version, plain.version]
    assert run.waiting == (a_c, b_c)
    # a migration using qty is refused, naming both, before anything runs
    with pytest.raises(inflight.ContractConflict) as refused:
        inflight.schedule([*todo, (uses_qty, None)], ms, finished, False)
    assert refused.value.message == (
        f"{uses_qty.filename} uses public.items.qty, which {a_c.filename} (a contract waiting"
        " for confirmation) drops or renames: not applied past it"
    )
    # once that contract is confirmed alone, it runs first, and the index passes the other one
    run = inflight.schedule([*todo, (uses_qty, None)], ms, finished, a_c.version)
    assert [m.version for m, _ in run.run] == [
        a_c.version,
        b_e.version,
        plain.version,
        uses_qty.version,
    ]
    assert run.waiting == (b_c,)
    with pytest.raises(inflight.ContractConflict, match=r"uses public\.users\.email"):
        inflight.schedule([(b_c, None), (view, None)], ms, {b_e.version}, False)
    with pytest.raises(StudioError, match="no pending contract migration has that version"):
        inflight.schedule(todo, ms, finished, plain.version)
    # confirmed (all): version order
    run = inflight.schedule(todo, ms, finished, True)
    assert [m.version for m, _ in run.run] == [a_c.version, b_e.version, b_c.version, plain.version]

    rows = [row(a_e, 3, True), row(b_e, 3, True), row(plain, 3, True)]
    flight = inflight.in_flight(ms, rows, ())
    assert flight.describe(a_c.version) == "contract waiting"
    assert flight.describe(a_e.version) == "expanded"
    assert flight.describe(plain.version) == (f"past waiting contract {a_c.version}, {b_c.version}")
    assert b_c.version not in flight.passed  # a waiting contract passes none: it runs in order
    err = inflight.not_confirmed((a_c, b_c), ms, applied=(b_e.version, plain.version))
    assert err.passed == (b_e.version, plain.version) and err.waiting == (a_c.version, b_c.version)
    assert err.message.startswith(f"{a_c.filename} (contract of {a_e.filename}), {b_c.filename}")

    # rolling back A's expand alone: refused while a later migration uses items
    with pytest.raises(StudioError, match="depends on its expanded state"):
        inflight.refuse_lone_rollback(a_e, ms, [b_e, plain])
    inflight.refuse_lone_rollback(a_e, ms, [b_e])
    with pytest.raises(StudioError, match="not an expand migration with a contract"):
        inflight.refuse_lone_rollback(plain, ms, [])


def test_a_set_of_versions_confirms_those_contracts_only_and_what_each_takes_away() -> None:
    """The fleet screen confirms the contracts it named: a set of versions (none unknown)."""
    a_e = sql_migration("20250101000001", Phase.EXPAND, "ALTER TABLE items ADD COLUMN n bigint;")
    a_c = sql_migration(
        "20250101000002",
        Phase.CONTRACT,
        "ALTER TABLE public.items DROP COLUMN qty;\n"
        "ALTER TABLE public.items RENAME COLUMN n TO qty;\n"
        "DROP VIEW items_v;\nALTER TABLE old_items RENAME TO items_archive;",
        a_e.version,
    )
    b_e = sql_migration("20250101000003", Phase.EXPAND, "ALTER TABLE users ADD COLUMN mail text;")
    b_c = sql_migration("20250101000004", Phase.CONTRACT, "DROP TRIGGER t ON users;", b_e.version)
    ms = [a_e, a_c, b_e, b_c]
    todo = [(a_c, None), (b_c, None)]
    finished = {a_e.version, b_e.version}
    run = inflight.schedule(todo, ms, finished, frozenset({b_c.version, "20990101000000"}))
    assert [m.version for m, _ in run.run] == [b_c.version]
    assert run.waiting == (a_c,)
    assert inflight.schedule(todo, ms, finished, frozenset()).waiting == (a_c, b_c)
    assert inflight.takes_away(a_c) == (
        "drops column public.items.qty",
        "renames column public.items.n to qty",
        "drops public.items_v",
        "renames public.old_items to items_archive",
    )
    assert inflight.takes_away(b_c) == ()  # a trigger: nothing the application reads
