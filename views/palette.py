"""The dashboard's colours, in one place: Okabe-Ito (safe for the common colour-vision deficiencies),
each with one meaning everywhere, so a reader learns them once."""
from __future__ import annotations

MEASURE = "#0072B2"       # the measured series (rate, amount)
SECOND = "#56B4E9"        # a second series beside the first (e.g. the other part of a split)
TARGET = "#009E73"        # the configured target
SIGNAL = "#D55E00"        # out-of-control points, misses, refusals
LIMIT = "#8C8C8C"         # control and funnel limits, centre lines
LIMIT_FILL = "rgba(140, 140, 140, 0.15)"
CODING = "#CC79A7"        # coding-related denials
OTHER = "#E69F00"         # everything else in a two-way split
NEUTRAL = "#4D4D4D"       # text and annotations
SCALE = ["#F7FBFF", "#9ECAE1", "#4292C6", "#08519C", "#08306B"]  # heat maps: light = low, dark = high

# Each colour's name as captions and titles say it, so a caption's words always match the marks.
NAMES = {
    MEASURE: "blue", SECOND: "light blue", TARGET: "green", SIGNAL: "red-orange", LIMIT: "grey",
    CODING: "pink", OTHER: "yellow-orange", NEUTRAL: "dark grey",
}

# Funnel-plot status -> colour: inside the limits in the measure colour, outside in the signal colour.
FUNNEL_STATUS = {
    "within": MEASURE,
    "above 95%": SECOND,
    "above 99.8%": TARGET,
    "below 95%": OTHER,
    "below 99.8%": SIGNAL,
    "no data": LIMIT,
}
