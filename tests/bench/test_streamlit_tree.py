"""The page bench/streamlit_tree.py keeps from Streamlit's deltas: a full run replaces the page, a fragment's run
only its fragment, a block sent again keeps its children, and text reads as the browser shows it."""
from __future__ import annotations

from streamlit.proto.Alert_pb2 import Alert
from streamlit.proto.Delta_pb2 import Delta
from streamlit.proto.Markdown_pb2 import Markdown

from bench.streamlit_tree import MAIN, SIDEBAR, PageTree, plain
from bench.streamlit_ws import widget_state
from views.text import md


def caption(body: str, fragment_id: str = "") -> Delta:
    delta = Delta(fragment_id=fragment_id)
    delta.new_element.markdown.body = body
    delta.new_element.markdown.element_type = Markdown.CAPTION
    return delta


def block(fragment_id: str = "", form: bool = False) -> Delta:
    delta = Delta(fragment_id=fragment_id)
    if form:
        delta.add_block.form.form_id = "sign-in"
    else:
        delta.add_block.vertical.SetInParent()
    return delta


def run(page: PageTree, run_id: str, deltas: list[tuple[list[int], Delta]], fragments: list[str] | None = None) -> None:
    page.run_id = run_id
    for path, delta in deltas:
        page.apply(delta, path)
    page.finish(fragments or [])


def test_a_full_run_drops_what_it_did_not_send():
    page = PageTree()
    run(page, "1", [([MAIN, 0], caption("first")), ([MAIN, 1], caption("second")), ([SIDEBAR, 0], caption("who"))])
    run(page, "2", [([MAIN, 0], caption("again"))])
    assert (page.texts(MAIN), page.texts(SIDEBAR)) == (["again"], [])


def test_a_fragment_run_replaces_its_fragment_only():
    page = PageTree()
    run(page, "1", [([MAIN, 0], caption("outside")), ([MAIN, 1], block("f")), ([MAIN, 1, 0], caption("old", "f")),
                    ([MAIN, 1, 1], caption("dropped", "f"))])
    run(page, "2", [([MAIN, 1], block("f")), ([MAIN, 1, 0], caption("new", "f"))], fragments=["f"])  # its container first
    assert page.texts(MAIN) == ["outside", "new"]


def test_a_block_sent_again_keeps_its_children_unless_it_changed_kind():
    page = PageTree()
    page.run_id = "1"
    page.apply(block(), [MAIN, 0])
    page.apply(caption("inside"), [MAIN, 0, 0])
    page.apply(block(), [MAIN, 0])
    assert page.texts(MAIN) == ["inside"]
    page.apply(block(form=True), [MAIN, 0])
    assert page.texts(MAIN) == []


def test_widgets_are_found_by_label_root_and_fragment_and_encoded_as_the_browser_sends_them():
    page = PageTree()
    box, toggle = Delta(), Delta(fragment_id="f")
    box.new_element.multiselect.id, box.new_element.multiselect.label = "w1", "Facility"
    toggle.new_element.checkbox.id, toggle.new_element.checkbox.label = "w2", "Table and CSV"
    run(page, "1", [([SIDEBAR, 0], box), ([MAIN, 0], toggle)])
    facility = page.widget("multiselect", "Facility", SIDEBAR)
    assert page.widget("multiselect", "Facility", MAIN) is None
    assert page.widget("checkbox", "Table and CSV", MAIN, "other") is None
    assert page.widget("checkbox", "Table and CSV", MAIN, "f").widget_id == "w2"
    state = widget_state(facility, ["FAC-NORTH"])
    assert (state.id, list(state.string_array_value.data)) == ("w1", ["FAC-NORTH"])


def test_text_reads_as_shown_and_error_boxes_are_errors():
    assert plain(f"Signed in as **{md('load00.coding-manager')}**, coding manager") == \
        "Signed in as load00.coding-manager, coding manager"
    page = PageTree()
    error = Delta()
    error.new_element.alert.body, error.new_element.alert.format = md("No store: run manage.py"), Alert.ERROR
    run(page, "1", [([MAIN, 0], error)])
    assert page.errors() == ["No store: run manage.py"]


def test_a_delta_without_its_container_is_refused():
    page = PageTree()
    try:
        page.apply(caption("orphan"), [MAIN, 3, 0])
    except ValueError as exc:
        assert "before its container" in str(exc)
    else:
        raise AssertionError("an orphan delta was kept")

