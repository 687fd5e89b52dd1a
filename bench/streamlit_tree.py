"""The page a Streamlit session is showing, kept from the deltas the server sends, as the browser keeps it:
enough for a client without a browser (bench/streamlit_ws.py) to find a widget by its label and read what the
page says.

The rules follow Streamlit 1.60's frontend (its AppRoot): a delta sets the node at its `delta_path` (the root
container first: main, sidebar, event, bottom); a block sent where a block of the same kind stands keeps that
block's children; and when a run finishes, the nodes that run did not send are dropped, only inside the
fragments that ran when it was a fragment's run. Transient elements (spinners, toasts) are not kept: nothing
here is read from them.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.Block_pb2 import Block
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.Element_pb2 import Element
from streamlit.proto.Markdown_pb2 import Markdown

MAIN, SIDEBAR = 0, 1
ROOTS = 4  # main, sidebar, event, bottom (RootContainer.proto)
WORD_JOINER = "\u2060"


@dataclass
class Node:
    """A block (`block` set, with children) or an element; the run that sent it, its fragment, and the script
    (main or page) that was running when it was sent."""

    run_id: str
    fragment_id: str = ""
    script_hash: str = ""
    block: Block | None = None
    element: Element | None = None
    children: list[Node | None] = field(default_factory=list)


@dataclass(frozen=True)
class Found:
    """An element of the page, with where it was sent from: the fragment a widget there reruns, and the root
    container it sits in."""

    element: Element
    fragment_id: str
    script_hash: str
    root: int

    @property
    def kind(self) -> str:
        """Its field in Element: text_input, button, multiselect, markdown, ..."""
        return self.element.WhichOneof("type") or ""

    @property
    def widget_id(self) -> str:
        """The id its widget state goes by; "" for an element that is no widget."""
        return getattr(getattr(self.element, self.kind, None), "id", "")


def plain(markdown: str) -> str:
    """Markdown as a reader sees it: bold markers gone, backslash escapes undone, invisible word joiners
    dropped (views/text.md writes all three)."""
    out, escaped = [], False
    for char in markdown.replace("**", "").replace(WORD_JOINER, ""):
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    return "".join(out)


class PageTree:
    def __init__(self) -> None:
        self.run_id = ""
        self.roots: list[Node | None] = [Node(run_id="", block=Block()) for _ in range(ROOTS)]

    def apply(self, delta: Delta, path: list[int], script_hash: str = "") -> None:
        """Set the node a delta sends at `path` ([root, index, index, ...]); transient deltas are skipped."""
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            node = Node(self.run_id, delta.fragment_id, script_hash, element=delta.new_element)
        elif kind == "add_block":
            old = self._at(path)
            kept = old.children if old and old.block is not None and old.block.WhichOneof("type") == delta.add_block.WhichOneof("type") else []
            node = Node(self.run_id, delta.fragment_id, script_hash, block=delta.add_block, children=kept)
        else:
            return
        self._set(path, node)

    def _at(self, path: list[int]) -> Node | None:
        nodes: list[Node | None] = self.roots
        node = None
        for index in path:
            if index >= len(nodes) or (node := nodes[index]) is None:
                return None
            nodes = node.children
        return node

    def _set(self, path: list[int], node: Node) -> None:
        parent = self._at(path[:-1]) if len(path) > 1 else None
        if len(path) > 1 and parent is None:
            raise ValueError(f"a delta for {path} arrived before its container")
        siblings = parent.children if parent is not None else self.roots
        index = path[-1]
        siblings.extend([None] * (index + 1 - len(siblings)))
        siblings[index] = node

    def finish(self, fragment_ids: list[str]) -> None:
        """A run finished: drop what it did not send (within the fragments that ran, for a fragment's run)."""
        for root in self.roots:
            if root is not None:
                root.children = self._kept(root.children, fragment_ids, inside_fragment="")

    def _kept(self, nodes: list[Node | None], fragment_ids: list[str], inside_fragment: str) -> list[Node | None]:
        kept: list[Node | None] = []
        for node in nodes:
            if node is None:
                continue
            current = node.run_id == self.run_id
            if node.block is not None:
                if fragment_ids:
                    if inside_fragment and not current:
                        continue
                    ran = node.fragment_id in fragment_ids and current
                    node.children = self._kept(node.children, fragment_ids, node.fragment_id if ran else inside_fragment)
                elif not current:
                    continue
                else:
                    node.children = self._kept(node.children, fragment_ids, "")
            elif not (current or (fragment_ids and (not node.fragment_id or not inside_fragment))):
                continue
            kept.append(node)
        return kept

    def elements(self, root: int | None = None) -> Iterator[Found]:
        """Every element, in page order; only those in one root container if `root` is given."""
        def walk(nodes: list[Node | None], top: int) -> Iterator[Found]:
            for node in nodes:
                if node is None:
                    continue
                if node.element is not None:
                    yield Found(node.element, node.fragment_id, node.script_hash, top)
                yield from walk(node.children, top)

        for number, node in enumerate(self.roots):
            if node is not None and (root is None or root == number):
                yield from walk(node.children, number)

    def widget(self, kind: str, label: str, root: int | None = None, fragment_id: str | None = None) -> Found | None:
        """The first widget of `kind` (its field in Element: text_input, button, multiselect, ...) with `label`,
        in one root container and one fragment if given."""
        return next((found for found in self.elements(root) if found.kind == kind and getattr(found.element, kind).label == label
                     and fragment_id in (None, found.fragment_id)), None)

    def texts(self, root: int | None = None, caption_only: bool = False) -> list[str]:
        """What the page says in Markdown, captions, text, headings and alerts, as plain text."""
        said = []
        for found in self.elements(root):
            kind = found.element.WhichOneof("type")
            if kind == "markdown" and (not caption_only or found.element.markdown.element_type == Markdown.CAPTION):
                said.append(plain(found.element.markdown.body))
            elif not caption_only and kind in ("text", "heading", "alert"):
                said.append(plain(getattr(found.element, kind).body))
        return said

    def headings(self, tag: str = "h1") -> list[str]:
        return [plain(f.element.heading.body) for f in self.elements(MAIN)
                if f.element.WhichOneof("type") == "heading" and f.element.heading.tag == tag]

    def count(self, kind: str, root: int | None = MAIN) -> int:
        return sum(f.element.WhichOneof("type") == kind for f in self.elements(root))

    def errors(self) -> list[str]:
        """Exceptions and error boxes anywhere on the page."""
        found = []
        for f in self.elements():
            kind = f.element.WhichOneof("type")
            if kind == "exception":
                found.append(f"{f.element.exception.type}: {f.element.exception.message}"[:200])
            elif kind == "alert" and f.element.alert.format == Alert.ERROR:
                found.append(plain(f.element.alert.body)[:200])
        return found
