"""The studio with a composite declared schema: each object's source, and what `exclude` left out.

Run on the embedded server only: nothing here differs across versions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest
from conftest import make_app, settle
from rich.style import Style

from studio.sources.devdb.binaries import available_servers
from studio.tui.widgets.object_tree import ObjectPane

if TYPE_CHECKING:
    from _workspace import Workspace

    from studio.sources.devdb.cluster import Cluster


@pytest.fixture(scope="session")
def pg(_cluster_pool: Any) -> Cluster:
    """The embedded server only (tests/conftest.py's `pg` runs each server the machine has)."""
    embedded = next((b for b in available_servers() if b.source == "embedded"), None)
    cluster: Cluster = _cluster_pool.get(f"pg{embedded.major}" if embedded else "pg", embedded)
    return cluster


def pane(app: object, name: str) -> ObjectPane:
    return app.screen.query_one(f"#{name}", ObjectPane)  # type: ignore[attr-defined]


async def test_declared_pane_names_each_objects_source(workspace: Workspace) -> None:
    # the declared SQL, then a folder of hand-written SQL on its tables; an index left out
    extra = workspace.root / "db" / "schema"
    extra.mkdir(parents=True)
    (extra / "views.sql").write_text(
        "CREATE VIEW public.order_totals AS\n"
        "  SELECT user_id, sum(total) AS total FROM public.orders GROUP BY user_id;\n"
        "CREATE FUNCTION public.stamp() RETURNS trigger LANGUAGE plpgsql\n"
        "  AS $$ BEGIN NEW.created_at := now(); RETURN NEW; END $$;\n"
        "CREATE TRIGGER orders_stamp BEFORE INSERT ON public.orders\n"
        "  FOR EACH ROW EXECUTE FUNCTION public.stamp();\n"
    )
    settings = dataclasses.replace(
        workspace.settings,
        schema=("declared.sql", "db/schema/"),
        exclude=("index:public.users_created_at_idx",),
    )
    app = make_app(dataclasses.replace(workspace, settings=settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        declared = pane(app, "declared")
        origin = {n.id: n.origin for n in declared.model.walk()}
        assert origin["view:public.order_totals"] == "db/schema/views.sql"
        assert origin["function:public.stamp()"] == "db/schema/views.sql"
        assert origin["table:public.orders"] == "declared.sql"
        # a member says where it came from when its table came from elsewhere
        assert origin["trigger:public.orders.orders_stamp"] == "db/schema/views.sql"
        assert origin["column:public.orders.total"] == ""
        # drawn dim after the name and tag
        node = declared.node_for("view:public.order_totals")
        assert node is not None
        label = declared.render_label(node, Style(), Style()).plain
        # the whole source when the pane has room for it, else its file's name; never cut
        room = declared.scrollable_content_region.width
        whole = "order_totals view · db/schema/views.sql"
        assert label.endswith(
            whole
            if len(label) - len("order_totals view") + len(whole) <= room
            else "order_totals view · views.sql"
        ), (label, room)
        assert declared.border_subtitle is not None
        assert declared.border_subtitle.endswith(" · 1 excluded")
        assert declared.model.get("index:public.users.users_created_at_idx") is None
