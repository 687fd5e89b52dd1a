"""The chart of the Peer percentiles page: one coder's or facility's percentile on each measure, as PEPPER's
"compare targets" report draws a hospital's, with the 20th and 80th percentile lines. Colours and text follow
views.charts: the signal colour for a flag, every value from data through plotly_text, numbers through
queries/formats.py."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from queries.formats import percent, percentile
from queries.peers import FLAGS, HIGH_PERCENTILE, LOW_PERCENTILE, MEASURES
from views import charts, palette
from views.text import plotly_text

TEXT_AT = 103  # where the words about each bar start, right of the 100th percentile


def _said(row: pd.Series) -> str:
    """What a bar's end and hover say: the percentile, rate and counts, or why the measure is not ranked."""
    counts = f"{int(row['numerator']):,} of {int(row['denominator']):,}"
    if pd.isna(row["percentile"]):
        return f"{FLAGS[row['flag']]} ({counts})"
    return f"percentile {percentile(row['percentile'])}: {percent(row['rate'])} ({counts})"


def percentile_bars(rows: pd.DataFrame, title: str) -> go.Figure:
    """Horizontal bars from 0 to 100, one per measure in MEASURES order (top to bottom), for one peer's rows of
    queries.peers.percentiles: flagged bars in the signal colour, others in the measure colour; a measure the
    peer is not ranked on has no bar, only the words saying why. The words stand in one column right of 100, so
    they never cross a bar or a percentile line."""
    rows = rows.set_index("measure").reindex(list(MEASURES)).dropna(subset=["flag"]).reset_index()
    names = charts.labels([MEASURES[m].label for m in rows["measure"]])
    said = charts.labels([_said(row) for _, row in rows.iterrows()])
    flagged = rows["flag"].isin(("high", "low"))
    fig = go.Figure(go.Bar(
        x=rows["percentile"].fillna(0), y=names, orientation="h",
        marker_color=[palette.SIGNAL if f else palette.MEASURE for f in flagged], customdata=said,
        hovertemplate="%{y}: %{customdata}<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=[TEXT_AT] * len(rows), y=names, mode="text", text=said, textposition="middle right",
                             hoverinfo="skip", textfont=dict(color=palette.NEUTRAL, size=11)))
    for at, words in ((HIGH_PERCENTILE, f"{HIGH_PERCENTILE:.0f}th: flagged at or above"),
                      (LOW_PERCENTILE, f"{LOW_PERCENTILE:.0f}th: flagged at or below (single CC/MCC)")):
        fig.add_vline(x=at, line=dict(color=palette.LIMIT, dash="dash", width=1.5))
        fig.add_annotation(x=at, y=1, xref="x", yref="paper", yanchor="bottom", text=plotly_text(words), showarrow=False,
                           font=dict(color=palette.NEUTRAL, size=11))
    fig.update_xaxes(range=[0, 190], tickvals=[0, 20, 40, 60, 80, 100], title="percentile among peers")
    fig.update_yaxes(type="category", autorange="reversed")
    fig.update_layout(title=dict(text=plotly_text(title), x=0, xanchor="left"), height=max(260, 48 * len(rows) + 130),
                      showlegend=False, font=charts.FONT, margin=dict(l=10, r=20, t=80, b=10), hovermode="closest")
    return fig
