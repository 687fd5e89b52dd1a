"""How text is written for people: every value that comes from data
(payer, coder and facility ids, usernames, identity-provider names, patient identifiers, messages that
quote them) escaped so that it is shown as the text it is, never read as markup.

Two readers of markup meet our text. Streamlit reads Markdown in captions, messages, headers, metric
labels, radio options, tab and expander labels, and st.table cells (plus its own :colour[...],
:material/icon: and $math$); selectbox and multiselect options are plain text and need nothing. Plotly
reads a subset of HTML (<b>, <br>, <a href>, entities) in titles, tick labels, text, hover labels and
annotations. `md` serves the first, `plotly_text` the second; every place where data meets a label uses
one of them (tests/views/test_hostile_data.py and tests/e2e walk every page with hostile ids).
"""
from __future__ import annotations

import html
import re

_MARKDOWN_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")  # every ASCII punctuation character
# After escapes are undone, Streamlit still turns http(s)://..., www.... and name@host into links, and (when
# its emoji plugin is loaded) :shortcode: into an emoji; an invisible word joiner breaks each of them: before
# every ':' and '@', and before the '.' of www.
_TEXT_PATTERNS = re.compile(r"(?=\\[:@])|(?i:(?<=www))(?=\\\.)")
_WORD_JOINER = "\u2060"
_LINE_BREAK = re.compile(r"[\r\n\t\v\f]+")


def md(value: object) -> str:
    """`value` as literal text inside Streamlit Markdown: every ASCII punctuation character backslash-escaped
    (CommonMark allows it for all of them), line breaks as spaces (a label is one line), links and emoji
    shortcodes broken by an invisible word joiner (U+2060)."""
    escaped = _MARKDOWN_PUNCTUATION.sub(lambda match: "\\" + match.group(), _LINE_BREAK.sub(" ", str(value)))
    return _TEXT_PATTERNS.sub(_WORD_JOINER, escaped)


def plotly_text(value: object) -> str:
    """`value` as literal text in a Plotly title, label, hover text or annotation: &, < and > as entities,
    which Plotly shows as the characters."""
    return html.escape(str(value), quote=False)
