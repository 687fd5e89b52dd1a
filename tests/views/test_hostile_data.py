"""Values from data are shown as text, never as markup: every page, for every role, on a store whose payer,
coder and facility ids are Markdown, Streamlit directives, LaTeX, links and HTML (tests/views/hostile.py).

Through AppTest, what the browser will read is checked at the source: every text Streamlit reads as
Markdown holds the hostile values only escaped (views.text.md), every Plotly figure only as entities
(views.text.plotly_text); the real browser's rendering is checked by tests/e2e/test_browser.py."""
from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from audit.permissions import Page, Role, allowed_pages
from config.paths import Paths
from tests.views.conftest import new_paths, open_app, point_at, without_key_variables
from tests.views.hostile import HOSTILE, MARKUP, VALUES, build_hostile_store
from tests.views.test_pages import no_exception, page_file, sign_in
from views.text import md, plotly_text

ROLES = list(Role)


@pytest.fixture(scope="session")
def hostile_paths(tmp_path_factory: pytest.TempPathFactory) -> Paths:
    with pytest.MonkeyPatch.context() as env:
        without_key_variables(env)
        return build_hostile_store(new_paths(tmp_path_factory.mktemp("hostile")))


@pytest.fixture
def hostile_app(hostile_paths: Paths, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    point_at(hostile_paths, monkeypatch)
    return open_app()


def markdown_texts(app: AppTest) -> Iterator[str]:
    """Every text of this run that Streamlit renders as Markdown."""
    for kind in ("markdown", "caption", "title", "header", "subheader", "info", "warning", "error", "success"):
        yield from (element.value for element in getattr(app, kind))
    for kind in ("metric", "tabs", "expander", "toggle", "checkbox", "button", "radio", "text_input", "selectbox",
                 "multiselect", "date_input", "text_area"):
        yield from (str(element.label) for element in app.get(kind) if hasattr(element, "label"))
    for radio in app.radio:
        yield from (str(option) for option in radio.options)
    for table in app.table:
        yield from (str(cell) for cell in table.value.to_numpy().ravel())


def figures(app: AppTest) -> list[str]:
    return [element.proto.spec for element in app.get("plotly_chart")]


def assert_shown_as_text(app: AppTest) -> None:
    no_exception(app)
    assert not app.error, [e.value for e in app.error]
    for text in markdown_texts(app):
        assert [m for m in MARKUP if m in text] == [], text
    for spec in figures(app):
        strings = " ".join(_strings(json.loads(spec)))
        assert [m for m in MARKUP if m.startswith("<") and m in strings] == []


def _strings(node: object) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def visit(app: AppTest, page: Page) -> AppTest:
    app.switch_page(page_file(page)).run()
    assert_shown_as_text(app)
    if page is Page.SPECIFICITY:
        for level in ("coder", "facility"):
            app.radio(key="specificity.level").set_value(level).run()
            assert_shown_as_text(app)
    return app


@pytest.mark.parametrize("role", ROLES, ids=[r.value for r in ROLES])
def test_every_page_shows_hostile_ids_as_text_for_every_role(hostile_app, role):
    app = sign_in(hostile_app, role)
    assert_shown_as_text(app)
    for page in allowed_pages(role):
        visit(app, page)


def test_hostile_ids_are_offered_as_plain_options_and_read_as_text_in_captions_and_charts(hostile_app):
    app = sign_in(hostile_app, Role.CODING_MANAGER)
    options = {key: app.multiselect(key=f"flt.{key}").options for key in ("facility", "payer", "coder")}
    assert set(HOSTILE["facility_id"].values()) <= set(options["facility"])  # plain text: shown as given
    assert set(HOSTILE["payer"].values()) <= set(options["payer"])
    assert set(HOSTILE["coder_id"].values()) <= set(options["coder"])
    app.switch_page(page_file(Page.DENIALS)).run()
    payer_chart = next(spec for spec in figures(app) if "Denied dollars by payer" in spec)
    assert all(plotly_text(v) in json.loads(payer_chart)["data"][0]["y"] for v in HOSTILE["payer"].values())
    app.switch_page(page_file(Page.SPECIFICITY)).run()
    app.radio(key="specificity.level").set_value("facility").run()
    assert any(plotly_text(HOSTILE["facility_id"]["FAC-NORTH"]) in _strings(json.loads(spec)) for spec in figures(app))
    for key, column in (("payer", "payer"), ("coder", "coder_id"), ("facility", "facility_id")):
        app.multiselect(key=f"flt.{key}").set_value(list(HOSTILE[column].values())).run()
    assert_shown_as_text(app)
    caption = next(c.value for c in app.caption if c.value.startswith("Service dates"))
    assert all(md(value) in caption for value in VALUES), caption
