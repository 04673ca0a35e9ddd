"""Per-table and per-column attributes: their SQL, inverses, order and hazards (pure)."""

from __future__ import annotations

from studio.diff import diff
from studio.diff.order import order
from studio.model import Column, Identity, Index, Schema, SequenceOptions, Table
from studio.model import changes as ch
from studio.model.changes.attributes import SetReplicaIdentity
from studio.plan.locks.lint import lint_sql


def _schema(*tables: Table) -> Schema:
    return Schema(tables={t.key: t for t in tables})


def _ids(sql: str, version: int) -> set[str]:
    return {f.hazard.id for f in lint_sql(sql, server_version=version).active()}


UNIQUE_A = Index("t_a", "CREATE UNIQUE INDEX t_a ON public.t USING btree (a)", True, keys=("a",))
UNIQUE_B = Index("t_b", "CREATE UNIQUE INDEX t_b ON public.t USING btree (b)", True, keys=("b",))
COLS = (Column("a", "integer", True), Column("b", "integer", True))


def test_replica_identity_switch_runs_between_the_new_index_and_the_old_ones_drop() -> None:
    old = Table(
        "public", "t", COLS, indexes=(UNIQUE_A,), replica_identity="index", replica_index="t_a"
    )
    new = Table(
        "public", "t", COLS, indexes=(UNIQUE_B,), replica_identity="index", replica_index="t_b"
    )
    kinds = [c.kind for c in diff(_schema(old), _schema(new))]
    assert kinds == ["create_index", "set_replica_identity", "drop_index"]
    # the down migration (inverses, last first) applies in the same shape
    down = [c.inverse() for c in reversed(diff(_schema(old), _schema(new)))]
    assert [c.kind for c in down if c] == ["create_index", "set_replica_identity", "drop_index"]


def test_replica_identity_over_a_rebuilt_index_is_released_and_set_again() -> None:
    rebuilt = Index(
        "t_a", "CREATE UNIQUE INDEX t_a ON public.t USING btree (a, b)", True, keys=("a", "b")
    )
    old = Table(
        "public", "t", COLS, indexes=(UNIQUE_A,), replica_identity="index", replica_index="t_a"
    )
    new = Table(
        "public", "t", COLS, indexes=(rebuilt,), replica_identity="index", replica_index="t_a"
    )
    sql = [s for c in diff(_schema(old), _schema(new)) for s in c.sql()]
    assert sql == [
        "ALTER TABLE public.t REPLICA IDENTITY DEFAULT",
        "DROP INDEX public.t_a",
        "CREATE UNIQUE INDEX t_a ON public.t USING btree (a, b)",
        "ALTER TABLE public.t REPLICA IDENTITY USING INDEX t_a",
    ]


def test_replica_identity_sql_and_inverse() -> None:
    c = SetReplicaIdentity("public.t", "full", None, "index", "t_a")
    assert c.sql() == ("ALTER TABLE public.t REPLICA IDENTITY FULL",)
    assert c.inverse().sql() == ("ALTER TABLE public.t REPLICA IDENTITY USING INDEX t_a",)
    assert "rel:public.t_a" in c.uses and "rel:public.t_a" in c.inverse().requires


def test_column_attributes_of_a_new_column_follow_its_add() -> None:
    old = Table("public", "t", (Column("a", "text", position=1),))
    b = Column("b", "text", statistics=0, storage="external", type_storage="extended",
               compression="pglz", options=("n_distinct=-1",), position=2)  # fmt: skip
    new = Table("public", "t", (old.columns[0], b))
    out = [s for c in order(diff(_schema(old), _schema(new))) for s in c.sql()]
    assert out[0] == "ALTER TABLE public.t ADD COLUMN b text"
    assert sorted(out[1:]) == [
        "ALTER TABLE ONLY public.t ALTER COLUMN b SET (n_distinct=-1)",
        "ALTER TABLE ONLY public.t ALTER COLUMN b SET COMPRESSION pglz",
        "ALTER TABLE ONLY public.t ALTER COLUMN b SET STATISTICS 0",
        "ALTER TABLE ONLY public.t ALTER COLUMN b SET STORAGE EXTERNAL",
    ]


def test_storage_back_to_the_types_own_is_spelled_out() -> None:
    # SET STORAGE DEFAULT is PostgreSQL 16+: the type's own storage is written instead
    a = Column("a", "text", storage="main", type_storage="extended", statistics=10)
    old, new = Table("public", "t", (a,)), Table("public", "t", (Column("a", "text"),))
    out = [s for c in diff(_schema(old), _schema(new)) for s in c.sql()]
    assert sorted(out) == [
        "ALTER TABLE ONLY public.t ALTER COLUMN a SET STATISTICS -1",
        "ALTER TABLE ONLY public.t ALTER COLUMN a SET STORAGE EXTENDED",
    ]


def test_access_method_needs_15() -> None:
    old = Table("public", "t", (Column("a", "integer"),))
    new = Table("public", "t", (Column("a", "integer"),), access_method="columnar")
    (change,) = diff(_schema(old), _schema(new))
    assert change.sql() == ("ALTER TABLE public.t SET ACCESS METHOD columnar",)
    assert change.inverse().sql() == ("ALTER TABLE public.t SET ACCESS METHOD heap",)
    assert "statement-needs-newer-server" in _ids(change.sql()[0] + ";", 140013)
    assert "statement-needs-newer-server" not in _ids(change.sql()[0] + ";", 150000)


def test_toast_options_are_table_options() -> None:
    old = Table("public", "t", options=("toast.autovacuum_enabled=false",))
    new = Table("public", "t", options=("fillfactor=70",))
    out = [s for c in diff(_schema(old), _schema(new)) for s in c.sql()]
    assert out == [
        "ALTER TABLE public.t RESET (toast.autovacuum_enabled)",
        "ALTER TABLE public.t SET (fillfactor=70)",
    ]


def test_raised_minvalue_moves_the_value_whatever_it_is() -> None:
    c = ch.AlterSequence("public.s", SequenceOptions(), SequenceOptions(min_value=10, start=10))
    assert c.sql() == (
        "SELECT pg_catalog.setval('public.s', 10, false) FROM public.s WHERE last_value < 10",
        "ALTER SEQUENCE public.s MINVALUE 10 START WITH 10",
    )
    assert "sequence-value-moved" in _ids(c.sql()[0] + ";", 180000)


def test_lowered_maxvalue_exhausts_a_sequence_past_it() -> None:
    c = ch.AlterSequence("public.s", SequenceOptions(), SequenceOptions(max_value=20))
    assert c.sql()[0] == (
        "SELECT pg_catalog.setval('public.s', 20, true) FROM public.s WHERE last_value > 20"
    )


def test_disjoint_ranges_are_joined_first() -> None:
    old = SequenceOptions("integer", max_value=100)
    new = SequenceOptions("integer", start=200, min_value=200, max_value=300)
    sql = ch.AlterSequence("public.s", old, new).sql()
    assert sql[0] == "ALTER SEQUENCE public.s AS integer MINVALUE 1 MAXVALUE 300"
    assert len(sql) == 3


def test_widened_or_restarted_sequences_need_no_guard() -> None:
    wider = ch.AlterSequence("public.s", SequenceOptions(min_value=5, start=5), SequenceOptions())
    assert len(wider.sql()) == 1 and not wider.narrows
    flipped = ch.AlterSequence(
        "public.s",
        SequenceOptions(),
        SequenceOptions(start=-1, increment=-1, min_value=-100, max_value=-1),
    )
    assert flipped.restarts and len(flipped.sql()) == 1


def test_identity_bounds_narrowed_move_its_sequences_value_first() -> None:
    old = Identity(False, SequenceOptions("integer", max_value=2147483647))
    new = Identity(False, SequenceOptions("integer", max_value=20))
    c = ch.AlterIdentity("public.t", "id", "integer", old, new, "public.t_ids")
    assert c.narrows and c.sql() == (
        "SELECT pg_catalog.setval('public.t_ids', 20, true) FROM public.t_ids"
        " WHERE last_value > 20",
        "ALTER TABLE public.t ALTER COLUMN id SET MAXVALUE 20",
    )
    assert "sequence-value-moved" in _ids(c.sql()[0] + ";", 180000)
    # without a known sequence: the name PostgreSQL gives an identity's sequence
    unnamed = ch.AlterIdentity("public.t", "id", "integer", old, new)
    assert unnamed.sql()[0].startswith("SELECT pg_catalog.setval('public.t_id_seq', 20, true)")


def test_identity_direction_flipped_restarts_and_disjoint_ranges_join() -> None:
    up = Identity(True, SequenceOptions("integer", max_value=100))
    down = Identity(True, SequenceOptions("integer", -1, -1, -100, -1))
    flipped = ch.AlterIdentity("public.t", "id", "integer", up, down)
    assert flipped.restarts and flipped.sql()[0].endswith(" RESTART")
    later = Identity(True, SequenceOptions("integer", 200, 1, 200, 300))
    sql = ch.AlterIdentity("public.t", "id", "integer", up, later).sql()
    assert sql[0] == "ALTER TABLE public.t ALTER COLUMN id SET MINVALUE 1 SET MAXVALUE 300"
    assert len(sql) == 3
