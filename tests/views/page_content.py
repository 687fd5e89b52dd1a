"""What each page shows on a demo store, at least: the sections, tiles, charts, tables and inputs a user of
that page relies on. Checked through AppTest (tests/views) and in the real browser (tests/e2e), so a page
that opens with only its title, or with an error box, fails."""
from __future__ import annotations

from dataclasses import dataclass, replace

from audit.permissions import Page, Permission, Role, can


@dataclass(frozen=True)
class Content:
    sections: tuple[str, ...] = ()   # subheaders, each the start of one st.subheader
    tiles: int = 0                   # st.metric
    charts: int = 0                  # Plotly charts
    tables: int = 0                  # st.dataframe
    inputs: tuple[str, ...] = ()     # labels of input widgets
    texts: tuple[str, ...] = ()      # text shown in a caption or message
    detail_sections: tuple[str, ...] = ()  # shown only to roles that may drill down (view_metric_detail)
    detail_inputs: tuple[str, ...] = ()


PAGES: dict[Page, Content] = {
    Page.OVERVIEW: Content(sections=("Trends: the 24 months to",), tiles=9, charts=1),
    Page.ACCURACY: Content(
        sections=("Accuracy by month", "Coders against the target", "Coder scorecards",
                  "Errors by category", "Coder by error category", "Financial impact of audit findings"),
        charts=6, tables=1, inputs=("Measure",), detail_sections=("Findings of one coder",), detail_inputs=("Coder",),
    ),
    Page.WHERE_ERRORS: Content(
        sections=("Errors by group", "Groups against the organisation's error rate", "What moved", "One group's trend"),
        charts=2, tables=1, inputs=("Group errors by", "Group to follow"), texts=("Benjamini-Hochberg",),
    ),
    Page.SPECIFICITY: Content(
        sections=("Where unspecified and invalid codes occur", "Unspecified codes used most, with more specific alternatives",
                  "Invalid codes submitted"),
        tiles=3, charts=3, tables=2, inputs=("Break down by",),
    ),
    Page.DENIALS: Content(sections=("Over time", "Which reasons count as coding-related", "By payer",
                                    "By claim adjustment reason code (CARC)", "By remark code (RARC)",
                                    "By DRG, procedure and service line", "Appeals"),
                          tiles=6, charts=8, tables=1, inputs=("Break down by", "Denied claims behind the bar"),
                          texts=("Paid amounts:",)),
    Page.AUDIT_SAMPLING: Content(sections=("Draw a sample", "Samples", "Sample sizes"),
                                 inputs=("Method", "Strata (stratified)", "Seed (blank: a new one)"),
                                 texts=("The sampling frame the filters select now",)),
    Page.DRG: Content(
        sections=("Mismatch and MCE edits by month", "MCE edits by type", "DRG shifts", "CC/MCC capture by coder and facility",
                  "Claims whose DRG rests on a single CC or MCC", "Claims behind these figures"),
        tiles=6, charts=4, texts=("Grouped with msdrg", "SYNTHETIC demo values"),
    ),
    Page.PEER_PERCENTILES: Content(sections=("Facilities against their peers",), charts=1, tables=1,
                                   inputs=("Facility to compare",), texts=("CODEAUDIT_PEER_MIN_VOLUME",),
                                   detail_sections=("Coders against their peers",), detail_inputs=("Coder to compare",)),
    Page.RECORD_REVIEW: Content(sections=("Worklist", "Reveal patient identifiers for a claim"),
                                inputs=("Claim key", "Identifiers", "Purpose of use", "Justification (optional)")),
    Page.MY_FINDINGS: Content(tables=1, texts=("Findings on the claims coded by",)),
    Page.REBUTTALS: Content(sections=("Pending rebuttals", "Decided rebuttals")),
    Page.ACCESS_LOG: Content(sections=("Break-glass reveals awaiting review", "Events", "Reports"), tables=1,
                             inputs=("Days (UTC)", "User (part of a name)", "Users", "Action", "Claim key"),
                             texts=("Log verified",)),
    Page.ADMIN: Content(sections=("Accounts", "Keys"), tables=1, inputs=("Username", "Role", "Initial password")),
}
# Pages with the claim filters in the sidebar.
FILTERS = ("Service dates", "Facility", "Payer", "Coder", "Encounter type")


def expected(page: Page, role: Role) -> Content:
    """What `role` must see on `page`: drill-down sections only for roles that may drill down."""
    content = PAGES[page]
    if not can(role, Permission.VIEW_METRIC_DETAIL):
        return content
    return replace(content, sections=content.sections + content.detail_sections, inputs=content.inputs + content.detail_inputs,
                   tables=content.tables + (1 if content.detail_sections else 0))
