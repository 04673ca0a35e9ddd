"""A pane of objects: a tree with a status mark (symbol and colour) before each name.

Children are added when a node is first expanded, so a schema of thousands
of tables draws at once; `reveal()` adds what it needs to reach a node.
Colours come from the component classes, styled in studio.tcss.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual import on
from textual.widgets import Tree

from studio.tui.fit import fit
from studio.tui.objects import Node, ObjectTree, Status

if TYPE_CHECKING:
    from collections.abc import Iterator

    from textual.widgets.tree import TreeNode

# schemas and diff groups open at start; tables open on demand
_OPEN_KINDS = frozenset({"schema", "group"})


class ObjectPane(Tree[Node]):
    """One of the studio's panes (Declared, Live or Diff)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = Tree.COMPONENT_CLASSES | {
        "object-pane--added",
        "object-pane--removed",
        "object-pane--changed",
        "object-pane--same",
        "object-pane--rename",
        "object-pane--tag",
        "object-pane--origin",
    }

    ICON_NODE = "▸ "
    ICON_NODE_EXPANDED = "▾ "

    def __init__(self, title: str, *, id: str | None = None) -> None:
        # adding nodes in a batch: Textual's invalidation (after each node) runs once, at the end
        self._batch = 0
        self._stale = False
        super().__init__(title, id=id)
        self.show_root = False
        self.guide_depth = 2
        self.auto_expand = True  # enter opens and closes a table, as space does
        self.border_title = title
        self.model: ObjectTree = ObjectTree()
        self._keep: frozenset[str] | None = None
        self._tree_nodes_by_id: dict[str, TreeNode[Node]] = {}
        self._populated: set[str] = set()

    # --- content -----------------------------------------------------------------------

    def show(self, model: ObjectTree, keep: frozenset[str] | None = None, note: str = "") -> None:
        """Replace the pane's content (`keep`: the ids a filter leaves, None for all).

        `note` follows the count of differences under the border (`3 excluded`).
        """
        current = self.cursor_node.data.id if self.cursor_node and self.cursor_node.data else None
        self.model = model
        self._keep = keep
        self._tree_nodes_by_id.clear()
        self._populated.clear()
        with self._batched():
            self.clear()
            self._add_nodes(self.root, model.roots)
        self._populated.add("")
        counts = model.counts()
        changed = sum(v for k, v in counts.items() if k is not Status.SAME)
        self.border_subtitle = (f"{changed} differ" if changed else "in sync") + (
            f" · {note}" if note else ""
        )
        placed = self.reveal(current, notify=False) if current is not None else None
        if placed is None and self.root.children:
            self._tree_lines  # noqa: B018
            with self.prevent(Tree.NodeHighlighted):
                self.move_cursor(self.root.children[0])

    def _visible(self, node_id: str) -> bool:
        return self._keep is None or node_id in self._keep

    def _add_nodes(self, parent: TreeNode[Node], ids: tuple[str, ...]) -> None:
        for child_id in ids:
            if not self._visible(child_id):
                continue
            node = self.model.nodes[child_id]
            if self._keep is None:
                has_children = self.model.has_children(child_id)
            else:
                has_children = any(self._visible(c) for c in self.model.children(child_id))
            expand = has_children and (
                node.kind in _OPEN_KINDS or (self._keep is not None and node.kind != "table")
            )
            tn = parent.add(Text(node.name), node, expand=expand, allow_expand=has_children)
            self._tree_nodes_by_id[child_id] = tn
            if expand or (self._keep is not None and has_children):
                self._populate(tn)
                if self._keep is not None and not tn.is_expanded:
                    tn.expand()

    def _populate(self, tn: TreeNode[Node]) -> None:
        data = tn.data
        if data is None or data.id in self._populated:
            return
        self._populated.add(data.id)
        with self._batched():
            self._add_nodes(tn, self.model.children(data.id))

    @on(Tree.NodeExpanded)
    def _expanded(self, event: Tree.NodeExpanded[Node]) -> None:
        self._populate(event.node)

    def node_for(self, node_id: str) -> TreeNode[Node] | None:
        """The tree node showing `node_id`, added (and its ancestors expanded) if needed."""
        if node_id not in self.model or not self._visible(node_id):
            return None
        with self._batched():
            for ancestor in self.model.ancestors(node_id):
                tn = self._tree_nodes_by_id.get(ancestor)
                if tn is None:
                    return None
                self._populate(tn)
                if not tn.is_expanded:
                    tn.expand()
        return self._tree_nodes_by_id.get(node_id)

    @contextlib.contextmanager
    def _batched(self) -> Iterator[None]:
        """Add nodes with the tree's caches invalidated once, when the outermost batch ends.

        Textual invalidates the tree's lines and lays the widget out again after
        each node added or expanded: a thousand tables did it a thousand times.
        Nothing reads the lines inside a batch.
        """
        self._batch += 1
        try:
            yield
        finally:
            self._batch -= 1
            if not self._batch and self._stale:
                self._stale = False
                super()._invalidate()

    def _invalidate(self) -> None:
        if self._batch:
            self._stale = True
            return
        super()._invalidate()

    def reveal(
        self, node_id: str, *, notify: bool = True, fallbacks: tuple[str, ...] = ()
    ) -> str | None:
        """Move the cursor to `node_id`, else its nearest ancestor, else the first of `fallbacks`.

        Returns the id the cursor went to (None: nothing of it is shown here).
        """
        candidates = [node_id, *reversed(self.model.ancestors(node_id)), *fallbacks]
        for candidate in candidates:
            tn = self.node_for(candidate)
            if tn is not None:
                self._tree_lines  # noqa: B018  (lays the lines out so the node knows its line)
                if notify:
                    self.move_cursor(tn)
                else:
                    with self.prevent(Tree.NodeHighlighted):
                        self.move_cursor(tn)
                return candidate
        return None

    @property
    def current(self) -> Node | None:
        """The node under the cursor."""
        tn = self.cursor_node
        return tn.data if tn is not None else None

    # --- drawing -----------------------------------------------------------------------

    def _label_parts(self, node: TreeNode[Node], data: Node) -> tuple[str, str, str, str]:
        """The toggle, name, tag and origin a node's label shows, cut to the room it has.

        Words are whole: the name is cut at a word boundary, a tag and an origin
        show whole or not at all.
        """
        if node.allow_expand:
            toggle = self.ICON_NODE_EXPANDED if node.is_expanded else self.ICON_NODE
        else:
            toggle = "  "
        # the room the label has on its line (after the guides): cut at a word boundary, the
        # name before its tag, so no label is cut mid-word by the pane's edge
        room = self.scrollable_content_region.width - _depth(node) * self.guide_depth
        room -= cell_len(toggle) + 2
        name = fit(data.name, max(room, 1))
        # a tag is one word (`table`, `destructive`): whole, or left out
        tag = data.tag if cell_len(data.tag) <= room - cell_len(name) - 1 else ""
        # which part of a composite declared schema made it (models, or a SQL file): when the
        # line has room for it whole
        left = room - cell_len(name) - (cell_len(tag) + 1 if tag else 0)
        # the whole source when it fits, else its last part (`views.sql` of `db/schema/views.sql`)
        for origin in (data.origin, data.origin.rstrip("/").rpartition("/")[2]):
            if origin and cell_len(origin) + 3 <= left:
                return toggle, name, tag, origin
        return toggle, name, tag, ""

    def render_label(self, node: TreeNode[Node], base_style: Style, style: Style) -> Text:
        """`▸ ~ orders  table`: toggle, status symbol, name, tag; coloured by status."""
        data = node.data
        if data is None:
            return super().render_label(node, base_style, style)
        toggle, name, tag, origin = self._label_parts(node, data)
        status_style = self.get_component_rich_style(f"object-pane--{data.status.value}")
        text = Text.assemble(
            (toggle, base_style),
            (f"{data.status.symbol} ", status_style),
            (name, status_style + style),
        )
        if tag:
            text.append(f" {tag}", self.get_component_rich_style("object-pane--tag") + style)
        if origin:
            origin_style = self.get_component_rich_style("object-pane--origin")
            text.append(f" · {origin}", origin_style + style)
        return text

    def get_label_width(self, node: TreeNode[Node]) -> int:
        """The label's width in cells, as `render_label` draws it, without drawing it.

        The tree measures every line's label each time its lines are laid out.
        """
        data = node.data
        if data is None:
            return super().get_label_width(node)
        toggle, name, tag, origin = self._label_parts(node, data)
        width = cell_len(toggle) + cell_len(data.status.symbol) + 1 + cell_len(name)
        if tag:
            width += 1 + cell_len(tag)
        if origin:
            width += 3 + cell_len(origin)
        return width


def _depth(node: TreeNode[Node]) -> int:
    """How many ancestors the node has (the hidden root included): its guides' count."""
    depth, parent = 0, node.parent
    while parent is not None:
        depth, parent = depth + 1, parent.parent
    return depth
