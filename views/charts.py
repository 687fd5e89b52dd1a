"""Every chart of the dashboard, built with Plotly (imported once per process, here).

Each chart reads without a legend: series are named by direct labels at their ends or in the title,
colours keep one meaning everywhere (views.palette), proportions are shown as percentages. Every text a
chart draws (titles, category labels, text on bars, hover text, annotations) goes through
views.text.plotly_text first, so values from data are shown as text, never read as Plotly's HTML.

The p-charts, the Overview's trend grid and the monthly dollar bars, drawn at nearly every page view, are
built as plain figure dicts (`Spec`) rather than graph objects: Plotly's property validation was most of
their cost. show() hands them to Streamlit unvalidated, and tests/views/test_chart_specs.py checks that
validating them would change nothing in what is sent.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st
from plotly.subplots import make_subplots

from queries.formats import D3_DOLLARS, D3_PERCENT, d3, percent
from queries.stats import funnel_limits
from queries.targets import Target
from views import palette
from views.axes import HALF_MONTH, month_axis, months, rate_axis
from views.text import plotly_text

FONT = dict(size=13)
CONFIG = {"displayModeBar": False, "responsive": True}  # no toolbar: its image download would be an unlogged export
Spec = dict[str, Any]  # a figure as Plotly's JSON has it: {"data": [traces], "layout": {...}}


def figure(spec: Spec) -> go.Figure:
    """A figure dict as a Figure without validating it again (Plotly's own templates are loaded this way):
    Streamlit validates a dict it is given, but takes a Figure's properties as they are."""
    return go.Figure(spec, _validate=False)


def show(fig: go.Figure | Spec, key: str, selectable: bool = False) -> object:
    """Draw a chart. `selectable`: a click on a bar or point reruns the page, and the returned event's
    `selection.points` name what was clicked (point_index: its row in the chart's frame)."""
    if isinstance(fig, dict):
        fig = figure(fig)
    if selectable:
        return st.plotly_chart(fig, key=key, config=CONFIG, on_select="rerun", selection_mode="points")
    return st.plotly_chart(fig, key=key, config=CONFIG)


def warm_up() -> None:
    """An empty, 10-pixel chart (Plotly's least height): it makes the browser load Plotly's JavaScript (several megabytes, fetched
    on first use) while the user is still on the sign-in page, so the first page after sign-in draws its
    charts without waiting for it. It shows nothing and carries no data."""
    blank = go.Figure(layout=dict(height=10, margin=dict(l=0, r=0, t=0, b=0), xaxis=dict(visible=False),
                                  yaxis=dict(visible=False)))
    st.plotly_chart(blank, key="plotly-warm-up", height=10, config={"staticPlot": True, "displayModeBar": False})


def labels(values: Sequence[object] | pd.Series) -> list[str]:
    """Category labels and texts as Plotly should show them: as text."""
    return [plotly_text(value) for value in values]


def _layout_settings(title: str, height: int = 380, **extra: object) -> dict[str, object]:
    return dict(
        title=dict(text=plotly_text(title), x=0, xanchor="left"), height=height, showlegend=False, font=FONT,
        margin=dict(l=10, r=90, t=60, b=10), hovermode="closest",
    ) | extra


def _layout(fig: go.Figure, title: str, height: int = 380, **extra: object) -> go.Figure:
    fig.update_layout(**_layout_settings(title, height, **extra))
    return fig


def _chart_rate_axis(chart: pd.DataFrame, target: Target | None) -> dict:
    return rate_axis(chart["rate"], chart["ucl"], chart["lcl"], [target.value] if target else [])


def _end_label(y: float, text: str, color: str) -> dict:
    """A direct label at the right edge of the (first) plot area, at height y (an annotation). Placed relative
    to the axis domain, not at a data x, so the label never widens the axis range."""
    return dict(font=dict(color=color, size=11), showarrow=False, text=plotly_text(text), x=1, xanchor="left",
                xref="x domain", xshift=4, y=y)


def _steps(when: pd.Series, values: pd.Series) -> tuple[list, list]:
    """A month's control limit (`values`, at months `when`) as a flat step across its month (its n is the
    month's), joined to the next month's step by a vertical line; a month without data breaks the line."""
    xs: list = []
    ys: list = []
    for start, end, value in zip(when - HALF_MONTH, when + HALF_MONTH, values, strict=True):
        if pd.isna(value):
            xs.append(None)
            ys.append(None)
            continue
        xs += [start, end]
        ys += [float(value), float(value)]
    return xs, ys


def _on_axes(axis: str | None) -> dict:
    """A trace's axes named outright (suffix "" for x and y, "2" for x2 and y2), or left to Plotly (None)."""
    return {} if axis is None else dict(xaxis=f"x{axis}", yaxis=f"y{axis}")


def _p_chart_traces(chart: pd.DataFrame, target: Target | None, axis: str | None = None) -> list[dict]:
    """Control limits as steps, the centre line, the target, and the monthly rate: signals in the signal
    colour, a partial month as an open circle, a month without data as a gap (never joined across), on the
    axes `axis` names (_on_axes)."""
    x = months(chart["period"])
    on = _on_axes(axis)
    traces = []
    for column in ("ucl", "lcl"):
        step_x, step_y = _steps(x, chart[column])
        traces.append(dict(type="scatter", connectgaps=False, hoverinfo="skip", line=dict(color=palette.LIMIT, width=1),
                           mode="lines", x=step_x, y=step_y, **on))
    traces.append(dict(type="scatter", hovertemplate="centre " + d3("y", D3_PERCENT) + "<extra></extra>",
                       line=dict(color=palette.LIMIT, dash="dot", width=1), mode="lines", x=x, y=chart["center"], **on))
    if target is not None:
        traces.append(dict(type="scatter", hovertemplate=f"target {target.describe()}<extra></extra>",
                           line=dict(color=palette.TARGET, dash="dash", width=1.5), mode="lines", x=x,
                           y=[target.value] * len(x), **on))
    signal = (chart["out_of_control"] | chart["run_above"] | chart["run_below"]).to_numpy(dtype=bool)
    partial = chart["partial"].to_numpy(dtype=bool) if "partial" in chart else np.zeros(len(chart), dtype=bool)
    note = np.where(partial, " (partial month: left out of runs)", "")
    traces.append(dict(
        type="scatter", connectgaps=False, customdata=np.stack([chart["successes"], chart["totals"], note], axis=-1),
        hovertemplate="%{x|%b %Y}: " + d3("y", D3_PERCENT) + " (%{customdata[0]:,} of %{customdata[1]:,})%{customdata[2]}<extra></extra>",
        line=dict(color=palette.MEASURE, width=2),
        marker=dict(color=np.where(signal, palette.SIGNAL, palette.MEASURE), line=dict(width=2),
                    size=np.where(signal, 9, 6), symbol=np.where(partial, "circle-open", "circle")),
        mode="lines+markers", x=x, y=chart["rate"], **on,
    ))
    return traces


def _mark_partial(chart: pd.DataFrame, axis: str = "") -> list[dict]:
    """The word 'partial' above each partial month that has a rate (first panel or single chart): annotations."""
    if "partial" not in chart:
        return []
    marked = chart[chart["partial"] & chart["rate"].notna()]
    return [dict(font=dict(color=palette.NEUTRAL, size=10), showarrow=False, text="partial", x=when, xref=f"x{axis}",
                 y=float(rate), yref=f"y{axis}", yshift=12)
            for when, rate in zip(months(marked["period"]), marked["rate"], strict=True)]


def _label_lines(chart: pd.DataFrame, target: Target | None, compact: bool = False) -> list[dict]:
    """Names for the limits and the target at the chart's right end (compact: one 'limits' label for the band)."""
    counted = chart[chart["totals"] > 0]
    if not len(counted):
        return []
    last = counted.iloc[-1]
    if compact:
        labels = [_end_label(last["center"], "limits", palette.LIMIT)]
    else:
        labels = [_end_label(last["ucl"], "upper limit", palette.LIMIT), _end_label(last["lcl"], "lower limit", palette.LIMIT)]
    if target is not None:
        labels.append(_end_label(target.value, "target", palette.TARGET))
    return labels


def p_chart(chart: pd.DataFrame, title: str, target: Target | None = None, height: int = 380) -> Spec:
    """One rate by month against its 3-sigma limits (docs/STATISTICS.md section 2)."""
    notes = _label_lines(chart, target) + _mark_partial(chart)
    return dict(data=_p_chart_traces(chart, target), layout=dict(
        **(dict(annotations=notes) if notes else {}), xaxis=month_axis(chart["period"]),
        yaxis=_chart_rate_axis(chart, target), **_layout_settings(title, height)))


P_CHART_CAPTION = (f"The monthly rate is the {palette.NAMES[palette.MEASURE]} line, its 3-sigma control limits the "
                   f"{palette.NAMES[palette.LIMIT]} steps (each month's own, from its own count), the centre the dotted "
                   f"line and the target the {palette.NAMES[palette.TARGET]} dashed line; {palette.NAMES[palette.SIGNAL]} "
                   "points are signals. A month with nothing counted is a gap; an open circle marked 'partial' is a "
                   "month the dates cover only in part, left out of the run rule.")


def _grid_axes(count: int, columns: int, gap_x: float = 0.11, gap_y: float = 0.12) -> list[tuple[dict, dict]]:
    """(x domain, y domain) of each panel of a grid, left to right, top to bottom, in paper coordinates."""
    rows = math.ceil(count / columns)
    width, height = (1 - gap_x * (columns - 1)) / columns, (1 - gap_y * (rows - 1)) / rows
    cells = []
    for i in range(count):
        row, col = divmod(i, columns)
        left, top = col * (width + gap_x), 1 - row * (height + gap_y)
        cells.append(([round(left, 4), round(min(left + width, 1.0), 4)], [round(max(top - height, 0.0), 4), round(top, 4)]))
    return cells


def trend_grid(panels: Sequence[tuple[str, pd.DataFrame, Target | None]], money: tuple[str, pd.DataFrame] | None,
               columns: int = 3) -> Spec:
    """Small multiples: one p-chart per rate and, last, monthly denied dollars. Only the first panel
    labels its lines (upper/lower limit, target): the others repeat the same drawing. The grid is laid
    out directly (not with make_subplots): this chart is on the page users open first."""
    titles = [title for title, _, _ in panels] + ([money[0]] if money else [])
    cells = _grid_axes(len(titles), columns)
    traces, layout, annotations = [], {}, []
    for i, (title, (x_domain, y_domain)) in enumerate(zip(titles, cells)):
        suffix = str(i + 1) if i else ""
        if i < len(panels):
            _, chart, target = panels[i]
            traces += _p_chart_traces(chart, target, suffix)
            periods = chart["period"]
            y_axis = _chart_rate_axis(chart, target)
        else:
            frame = money[1]
            periods = frame["month"]
            traces.append(_month_money_bars(frame, "denied_amount", suffix))
            y_axis = dict(tickprefix="$", tickformat="~s")
        layout[f"xaxis{suffix}"] = dict(domain=x_domain, anchor=f"y{suffix}", tickangle=0,
                                        **month_axis(periods, most_ticks=4, tickformat="%b %y"))
        layout[f"yaxis{suffix}"] = dict(domain=y_domain, anchor=f"x{suffix}", **y_axis)
        annotations.append(dict(text=plotly_text(title), x=sum(x_domain) / 2, y=y_domain[1], xref="paper", yref="paper",
                                xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=12)))
    if panels:  # the first panel's axes are x and y; its partial month is an open circle marked 'partial', as the caption says
        annotations += _label_lines(panels[0][1], panels[0][2], compact=True) + _mark_partial(panels[0][1])
    rows = math.ceil(len(titles) / columns)
    return dict(data=traces, layout=dict(
        height=300 * rows, showlegend=False, margin=dict(l=10, r=70, t=40, b=10), font=FONT, hovermode="closest",
        annotations=annotations, **layout,
    ))


def _shade_partial(fig: go.Figure, frame: pd.DataFrame, x: str = "month") -> None:
    """A pale band over each partial month (column `partial`, when present), labelled at its top."""
    if "partial" not in frame:
        return
    for when in months(frame.loc[frame["partial"].astype(bool), x]):
        fig.add_shape(type="rect", x0=when - HALF_MONTH, x1=when + HALF_MONTH, y0=0, y1=1, xref="x", yref="paper",
                      fillcolor=palette.LIMIT_FILL, line_width=0, layer="below")
        fig.add_annotation(x=when, y=1, xref="x", yref="paper", yanchor="bottom", text="partial", showarrow=False,
                           font=dict(color=palette.NEUTRAL, size=10))


def _month_money_bars(frame: pd.DataFrame, column: str, axis: str | None = None) -> dict:
    """Dollars by month (a bar trace, on the axes `axis` names: _on_axes); a partial month (column `partial`,
    when present) drawn pale, its hover saying so."""
    partial = frame["partial"].to_numpy(dtype=bool) if "partial" in frame else np.zeros(len(frame), dtype=bool)
    return dict(type="bar", customdata=np.where(partial, " (partial month)", ""),
                hovertemplate="%{x|%b %Y}: " + d3("y", D3_DOLLARS) + "%{customdata}<extra></extra>",
                marker=dict(color=palette.MEASURE, opacity=np.where(partial, 0.4, 1.0)), x=months(frame["month"]),
                y=frame[column], **_on_axes(axis))


def funnel(groups: pd.DataFrame, target: float, title: str, label: str = "coder", *, rate_title: str = "accuracy",
           target_words: str = "target", items: str = "codes audited", titles: Sequence[str] | None = None) -> go.Figure:
    """Each group's rate against its number of items, inside exact binomial limits around the target
    (docs/STATISTICS.md section 3). Groups outside the 95% limits are named on the chart. `rate_title` names the
    rate axis, `target_words` the centre line (the target, or the overall rate), `items` the count axis;
    an accuracy axis ends at 100%, any other starts at 0. `titles`, one per group (blank for none): what each
    group is, after its name in the hover (a code family's official title), as the page's table shows it."""
    fig = go.Figure()
    if len(groups):
        n = np.unique(np.linspace(max(1, groups["totals"].min() * 0.8), groups["totals"].max() * 1.1, 120).round())
        limits = funnel_limits(n, target)
        for level, dash, name in (("998", "dash", "99.8% limits"), ("95", "dot", "95% limits")):
            for side in ("lower", "upper"):
                fig.add_trace(go.Scatter(x=n, y=limits[f"{side}{level}"], mode="lines",
                                         line=dict(color=palette.LIMIT, dash=dash, width=1), hoverinfo="skip"))
            fig.add_annotation(**_end_label(float(limits[f"lower{level}"].iloc[-1]), name, palette.LIMIT))
        fig.add_trace(go.Scatter(x=[n[0], n[-1]], y=[target, target], mode="lines",
                                 line=dict(color=palette.TARGET, width=1.5), hoverinfo="skip"))
        shown = f"{target * 100:g}%" if target_words == "target" else percent(target)  # a target as set
        fig.add_annotation(**_end_label(target, f"{target_words} {shown}", palette.TARGET))
        outside = groups["status"].str.startswith(("above", "below"))  # a small sample is never named: no verdict
        names = labels(groups["group"])
        hover = names if titles is None else [f"{n} {plotly_text(t)}" if t else n for n, t in zip(names, titles, strict=True)]
        fig.add_trace(go.Scatter(
            x=groups["totals"], y=groups["rate"], mode="markers+text",
            text=np.where(outside, names, ""), textposition="middle right",
            marker=dict(size=9, color=[palette.FUNNEL_STATUS.get(s, palette.MEASURE) for s in groups["status"]],
                        line=dict(width=1, color="white")),
            customdata=np.stack([hover, groups["successes"], groups["status"]], axis=-1),
            hovertemplate=f"{plotly_text(label)} %{{customdata[0]}}: {d3('y', D3_PERCENT)} (%{{customdata[1]:,}} of %{{x:,}}), %{{customdata[2]}}<extra></extra>",
        ))
    if rate_title == "accuracy":
        low = float(groups["rate"].min()) if len(groups) else 0.0
        fig.update_yaxes(tickformat=".0%", title=rate_title, range=[max(0.0, min(low, target) - 0.08), 1.02])
    else:
        high = float(groups["rate"].max()) if len(groups) else 0.0
        fig.update_yaxes(tickformat=".0%", title=rate_title, range=[0.0, min(1.02, max(high, target) + 0.08)])
    fig.update_xaxes(title=items, rangemode="tozero")
    return _layout(fig, title, 440)


def pareto(df: pd.DataFrame, category: str, value: str, cumulative: str, title: str, value_title: str,
           money: bool = False) -> go.Figure:
    """Bars largest first (in the frame's order) with the cumulative share as a line on the right axis."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    names = labels(df[category])
    number = d3("y", D3_DOLLARS) if money else "%{y:,}"
    fig.add_trace(go.Bar(x=names, y=df[value], marker_color=palette.MEASURE, text=df[value], cliponaxis=False,
                         texttemplate=number.replace("y", "text"), textposition="outside",
                         hovertemplate=f"%{{x}}: {number}<extra></extra>"))
    fig.add_trace(go.Scatter(x=names, y=df[cumulative], mode="lines+markers", line=dict(color=palette.OTHER),
                             hovertemplate="%{x}: cumulative " + d3("y", D3_PERCENT) + "<extra></extra>"), secondary_y=True)
    if len(df):
        fig.add_annotation(x=names[-1], y=float(df[cumulative].iloc[-1]), yref="y2", text="cumulative share",
                           showarrow=False, yshift=14, font=dict(color=palette.OTHER, size=11))
    fig.update_yaxes(title=value_title, secondary_y=False, rangemode="tozero",
                     range=[0, float(df[value].max()) * 1.15] if len(df) else None,
                     **(dict(tickprefix="$", tickformat="~s") if money else {}))
    fig.update_yaxes(tickformat=".0%", range=[0, 1.05], secondary_y=True, showgrid=False)
    fig.update_xaxes(tickangle=-30, automargin=True)
    return _layout(fig, title)


def heatmap(matrix: pd.DataFrame, title: str, y_title: str) -> go.Figure:
    """Rates in cells, written in each cell; darker is higher."""
    text = matrix.map(lambda v: percent(v, missing=""))
    fig = go.Figure(go.Heatmap(
        z=matrix.to_numpy(), x=labels(matrix.columns), y=labels(matrix.index), colorscale=palette.SCALE,
        text=text.to_numpy(), texttemplate="%{text}", textfont=dict(size=10), showscale=False, xgap=1, ygap=1,
        hovertemplate=f"{plotly_text(y_title)} %{{y}}, %{{x}}: {d3('z', D3_PERCENT)}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", title=plotly_text(y_title), type="category")
    fig.update_xaxes(side="top")
    return _layout(fig, title, max(320, 22 * len(matrix) + 120), margin=dict(l=10, r=10, t=90, b=10))


def money_by_month(monthly: pd.DataFrame, title: str) -> go.Figure:
    """Audit dollar impact by month: underpayments up, overpayments down, the net as a line (the title
    says which is which: end labels collide when the last month is small)."""
    fig = go.Figure()
    x = months(monthly["month"])
    fig.add_trace(go.Bar(x=x, y=monthly["underpaid"], marker_color=palette.SECOND,
                         hovertemplate="%{x|%b %Y}: underpaid " + d3("y", D3_DOLLARS) + "<extra></extra>"))
    fig.add_trace(go.Bar(x=x, y=monthly["overpaid"], marker_color=palette.SIGNAL,
                         hovertemplate="%{x|%b %Y}: overpaid " + d3("y", D3_DOLLARS) + "<extra></extra>"))
    fig.add_trace(go.Scatter(x=x, y=monthly["net_impact"], mode="lines+markers",
                             line=dict(color=palette.NEUTRAL, width=2), hovertemplate="%{x|%b %Y}: net " + d3("y", D3_DOLLARS) + "<extra></extra>"))
    fig.update_layout(barmode="relative")
    _shade_partial(fig, monthly)
    fig.update_yaxes(tickprefix="$", tickformat="~s", zeroline=True, zerolinecolor=palette.NEUTRAL)
    fig.update_xaxes(**month_axis(monthly["month"]))
    return _layout(fig, title)


def rate_bars(df: pd.DataFrame, label: str, rate: str, low: str | None, high: str | None, title: str,
              hover_count: str | None = None) -> go.Figure:
    """Horizontal bars of a rate per group, highest at the top, with 95% intervals; each value is written
    just past its interval so the two never overlap."""
    df = df.sort_values(rate, ascending=True)
    error = None
    if low and high:
        error = dict(type="data", symmetric=False, array=df[high] - df[rate], arrayminus=df[rate] - df[low],
                     color=palette.NEUTRAL, thickness=1, width=3)
    customdata = df[hover_count] if hover_count else None
    names = labels(df[label])
    fig = go.Figure(go.Bar(
        x=df[rate], y=names, orientation="h", marker_color=palette.MEASURE, error_x=error, customdata=customdata,
        hovertemplate="%{y}: " + d3("x", D3_PERCENT) + (" of %{customdata:,} codes" if hover_count else "") + "<extra></extra>",
    ))
    fig.add_trace(go.Scatter(x=df[high] if high else df[rate], y=names, mode="text", text=df[rate],
                             texttemplate="  " + d3("text", D3_PERCENT), textposition="middle right", hoverinfo="skip",
                             textfont=dict(color=palette.NEUTRAL, size=11)))
    fig.update_xaxes(tickformat=".0%", rangemode="tozero")
    fig.update_yaxes(type="category")
    return _layout(fig, title, max(320, 26 * len(df) + 110))


def target_line(fig: go.Figure, target: Target) -> go.Figure:
    """The target as a vertical dashed line (the chart's title names it)."""
    fig.add_vline(x=target.value, line=dict(color=palette.TARGET, dash="dash"))
    return fig


def split_bars(df: pd.DataFrame, label: str, parts: Sequence[tuple[str, str, str]], title: str, money: bool = True) -> go.Figure:
    """Horizontal stacked bars, each part named inside its own segment (no legend needed)."""
    fig = go.Figure()
    fmt = d3("x", D3_DOLLARS) if money else "%{x:,}"
    names = labels(df[label])
    for column, name, color in parts:
        fig.add_trace(go.Bar(
            x=df[column], y=names, orientation="h", marker_color=color, name=plotly_text(name),
            text=[plotly_text(name)] * len(df), textposition="inside", insidetextanchor="start",
            hovertemplate=f"%{{y}}, {plotly_text(name)}: {fmt}<extra></extra>",
        ))
    fig.update_layout(barmode="stack")
    fig.update_yaxes(type="category", autorange="reversed")
    if money:
        fig.update_xaxes(tickprefix="$", tickformat="~s")
    return _layout(fig, title, max(300, 40 * len(df) + 110))


def labelled_bars(df: pd.DataFrame, label: str, value: str, title: str, color_by: pd.Series | None = None,
                  money: bool = True, text: pd.Series | None = None) -> go.Figure:
    """Horizontal bars largest at the top; the text inside each bar says what it is."""
    colors = color_by if color_by is not None else [palette.MEASURE] * len(df)
    fig = go.Figure(go.Bar(
        x=df[value], y=labels(df[label]), orientation="h", marker_color=list(colors),
        text=labels(text) if text is not None else df[value], textposition="outside", cliponaxis=False,
        texttemplate=None if text is not None else (d3("x", D3_DOLLARS) if money else "%{x:,}"),
        hovertemplate="%{y}: " + (d3("x", D3_DOLLARS) if money else "%{x:,}") + "<extra></extra>",
    ))
    widest = float(df[value].max()) if len(df) else 1.0
    fig.update_xaxes(range=[0, widest * (1.9 if text is not None else 1.2)])
    fig.update_yaxes(type="category", autorange="reversed")
    if money:
        fig.update_xaxes(tickprefix="$", tickformat="~s")
    return _layout(fig, title, max(300, 28 * len(df) + 110))


def stacked_area(df: pd.DataFrame, x: str, parts: Sequence[tuple[str, str, str]], title: str) -> go.Figure:
    """Monthly counts split in parts, each labelled at its right end."""
    fig = go.Figure()
    when = months(df[x])
    running = np.zeros(len(df))
    for column, name, color in parts:
        fig.add_trace(go.Scatter(x=when, y=df[column], mode="lines", stackgroup="one", line=dict(color=color, width=1),
                                 hovertemplate=f"%{{x|%b %Y}}: {plotly_text(name)} %{{y:,}}<extra></extra>"))
        if len(df):
            mid = running[-1] + float(df[column].iloc[-1]) / 2
            fig.add_annotation(**_end_label(mid, name, color))
        running = running + df[column].to_numpy()
    _shade_partial(fig, df, x)
    fig.update_xaxes(**month_axis(df[x]))
    return _layout(fig, title)


def month_bars(df: pd.DataFrame, x: str, y: str, title: str) -> Spec:
    """Dollars by month."""
    return dict(data=[_month_money_bars(df.rename(columns={x: "month"}), y)], layout=dict(
        xaxis=month_axis(df[x]), yaxis=dict(tickprefix="$", tickformat="~s"), **_layout_settings(title)))


def stage_funnel(df: pd.DataFrame, stage: str, value: str, title: str) -> go.Figure:
    """Stages from denial to appeal outcome, each with its share of the first stage."""
    fig = go.Figure(go.Funnel(y=labels(df[stage]), x=df[value], textinfo="value+percent initial",
                              marker=dict(color=[palette.MEASURE, palette.SECOND, palette.OTHER, palette.TARGET][: len(df)])))
    return _layout(fig, title, 340)

