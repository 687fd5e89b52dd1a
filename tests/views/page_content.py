"""What each page shows on a demo store, at least: the sections, tiles, charts, tables and inputs a user of
that page relies on. Checked through AppTest (tests/views) and in the real browser (tests/e2e), so a page
that opens with only its title, or with an error box, fails."""
from __future__ import annotations

from dataclasses import dataclass

from audit.permissions import Page


@dataclass(frozen=True)
class Content:
    sections: tuple[str, ...] = ()   # subheaders, each the start of one st.subheader
    tiles: int = 0                   # st.metric
    charts: int = 0                  # Plotly charts
    tables: int = 0                  # st.dataframe
    inputs: tuple[str, ...] = ()     # labels of input widgets
    texts: tuple[str, ...] = ()      # text shown in a caption or message


PAGES: dict[Page, Content] = {
    Page.OVERVIEW: Content(sections=("Trends: the 24 months to",), tiles=9, charts=1),
    Page.ACCURACY: Content(
        sections=("Accuracy by month", "Coders against the target", "Coder scorecards", "Findings of one coder",
                  "Errors by category", "Coder by error category", "Financial impact of audit findings"),
        charts=6, tables=2, inputs=("Measure", "Coder"),
    ),
    Page.SPECIFICITY: Content(
        sections=("Where unspecified and invalid codes occur", "Unspecified codes used most, with more specific alternatives",
                  "Invalid codes submitted"),
        tiles=3, charts=3, tables=2, inputs=("Break down by",),
    ),
    Page.DENIALS: Content(sections=("Over time", "Which reasons count as coding-related", "By payer",
                                    "By claim adjustment reason code (CARC)", "By DRG, procedure and service line", "Appeals"),
                          tiles=6, charts=7, tables=1, inputs=("Break down by", "Denied claims behind the bar")),
    Page.AUDIT_SAMPLING: Content(texts=("The sampling frame the filters select now",)),
    Page.RECORD_REVIEW: Content(sections=("Reveal patient identifiers for a claim",),
                                inputs=("Claim key", "Identifiers", "Purpose of use", "Justification (optional)")),
    Page.ACCESS_LOG: Content(sections=("Break-glass reveals awaiting review", "Events", "Reports"), tables=1,
                             inputs=("Days (UTC)", "User (part of a name)", "Users", "Action", "Claim key"),
                             texts=("Log verified",)),
    Page.ADMIN: Content(sections=("Accounts", "Keys"), tables=1, inputs=("Username", "Role", "Initial password")),
}
# Pages with the claim filters in the sidebar.
FILTERS = ("Service dates", "Facility", "Payer", "Coder", "Encounter type")
