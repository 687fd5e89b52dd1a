"""Where errors concentrate, in a real browser, as the coding manager and the compliance officer: choosing the
level, the demo's payer outside the funnel's limits, a what-moved row drilled to the findings behind it, and one
family's monthly trend with its findings; MDCs and ICD-10-PCS body systems named by their titles on the page and in
the CSV download."""
from __future__ import annotations

import re

import pandas as pd
import pytest
from playwright.sync_api import expect

from audit.permissions import Page, Role
from config.paths import Paths
from queries import error_families as families
from queries.metrics import Filters, filter_options
from queries.periods import LAST_12_MONTHS, comparison, preset
from queries.store import connect_read_only
from tests.e2e.harness import rerun_by
from tests.e2e.test_browser import assert_clean, choose_option, open_page, screenshot, settle, sign_in


def opening_scope(paths: Paths) -> tuple[list[str], dict[str, pd.DataFrame]]:
    """The period a session opens on (the last 12 complete months) and the one it is compared with."""
    con = connect_read_only(paths)
    try:
        first, last = preset(LAST_12_MONTHS, filter_options(con).max_date, 10)
        now = Filters(date_from=first, date_to=last)
        before = comparison(LAST_12_MONTHS, now)
        moved = {level: families.what_moved(con, now, before, level) for level in families.LEVELS}
        funnel, _ = families.family_funnel(con, now, "payer")
    finally:
        con.close()
    outside = funnel.loc[funnel["status"].str.startswith(("above", "below")), "group"].tolist()
    return outside, {level: frame[frame["significant"]] for level, frame in moved.items() if frame["significant"].any()}


def main(page):
    return page.locator('[data-testid="stMain"]')


def choose_group(page, label: str, group: str) -> None:
    """Choose, in the main area's selectbox `label`, the option that is `group` or starts with it and a space (its
    title follows): group '9' must not pick '19'."""
    box = main(page).locator('[data-testid="stSelectbox"]').filter(has_text=label)
    if re.match(rf"{re.escape(group)}( |$)", box.locator("input").input_value()):
        return  # chosen already (the chosen option is the value of the box's input, not part of its text)
    box.click()
    page.keyboard.type(group)
    option = page.get_by_role("option").filter(has_text=re.compile(rf"^{re.escape(group)}( |$)")).first
    rerun_by(page, option.click)


@pytest.mark.parametrize("role", [Role.CODING_MANAGER, Role.COMPLIANCE_OFFICER], ids=lambda r: r.value)
def test_the_level_choice_the_what_moved_drill_and_a_familys_trend(demo_server, browser, role):
    outside_payers, moved = opening_scope(demo_server.paths)
    assert outside_payers, "the demo shows a payer outside the funnel's limits"
    context, page = sign_in(browser, demo_server.url, role)
    open_page(page, Page.WHERE_ERRORS)
    assert_clean(page)
    expect(main(page).get_by_text("ICD-10-CM chapter").first).to_be_visible()

    choose_option(page, "Group errors by", families.LEVELS["payer"])
    assert_clean(page)
    text = main(page).inner_text()
    assert "Benjamini-Hochberg" in text
    funnel = page.locator(".js-plotly-plot").first
    for payer in outside_payers:
        expect(funnel.get_by_text(payer).first).to_be_attached()  # a payer outside the limits is named on the chart

    assert moved, "the demo shows a group that moved by more than chance"
    level, rows = next(iter(moved.items()))
    choose_option(page, "Group errors by", families.LEVELS[level])
    grids = main(page).locator('[data-testid="stDataFrame"]')
    grids.nth(1).wait_for()  # the first is the groups' table, the second what moved
    group = str(rows.iloc[-1]["group"])  # the last row: the drill changes what is shown when there are several
    choose_group(page, "Findings behind the change of", group)
    expect(main(page).get_by_text(f"Findings behind {group}")).to_be_visible()
    assert_clean(page)
    screenshot(page, f"{role.value}-where_errors-moved")

    choose_group(page, "Group to follow", group)
    trend = page.locator(".js-plotly-plot").nth(1)
    expect(trend.get_by_text(f"Error rate of {group} by month")).to_be_attached()
    expect(main(page).get_by_text(f"findings of {group} in this scope")).to_be_visible()
    assert_clean(page)
    context.close()


@pytest.mark.parametrize("level", ["mdc", "pcs_body_system"])
def test_mdcs_and_body_systems_show_their_titles_and_the_csv_carries_them(demo_server, browser, level):
    con = connect_read_only(demo_server.paths)
    try:
        first, last = preset(LAST_12_MONTHS, filter_options(con).max_date, 10)
        groups = families.errors_by(con, Filters(date_from=first, date_to=last), level)
    finally:
        con.close()
    assert groups["title"].astype(bool).all()
    context, page = sign_in(browser, demo_server.url, Role.CODING_MANAGER, accept_downloads=True)
    open_page(page, Page.WHERE_ERRORS)
    choose_option(page, "Group errors by", families.LEVELS[level])
    assert_clean(page)
    top = groups.iloc[0]  # most errors: the group the trend follows first, shown with its title
    follow = main(page).locator('[data-testid="stSelectbox"]').filter(has_text="Group to follow")
    expect(follow.locator("input")).to_have_value(f"{top['group']} {top['title']}", timeout=60_000)

    main(page).get_by_text("Use inside the organisation").first.click()  # the groups' table's CSV comes first
    settle(page)
    with page.expect_download() as download:
        main(page).get_by_role("button", name="Download CSV").first.click()
    body = pd.read_csv(download.value.path(), dtype=str, keep_default_na=False)
    assert dict(zip(body["group"], body["title"], strict=True)) == dict(zip(groups["group"], groups["title"], strict=True))
    context.close()
