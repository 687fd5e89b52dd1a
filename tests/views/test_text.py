"""The two escaping helpers, on known inputs: Markdown for Streamlit, HTML entities for Plotly."""
from __future__ import annotations

import pytest

from views.text import md, plotly_text

WJ = "\u2060"  # word joiner: invisible, breaks what Streamlit would turn into a link


@pytest.mark.parametrize(("raw", "escaped"), [
    ("Medicare", "Medicare"),
    ("**bold**", r"\*\*bold\*\*"),
    (":red[x]", rf"{WJ}\:red\[x\]"),
    ("$x^2$", r"\$x\^2\$"),
    ("[pay](http://example.org)", rf"\[pay\]\(http{WJ}\:\/\/example\.org\)"),
    ("HTTPS://a.b", rf"HTTPS{WJ}\:\/\/a\.b"),
    ("www.example.org", rf"www{WJ}\.example\.org"),
    ("ops@example.org", rf"ops{WJ}\@example\.org"),
    ("<script>alert(1)</script>", r"\<script\>alert\(1\)\<\/script\>"),
    (":material/home: C1 _x_ `c` ~s~ #1 | a&amp;", rf"{WJ}\:material\/home{WJ}\: C1 \_x\_ \`c\` \~s\~ \#1 \| a\&amp\;"),
    (":smile: WWW.x", rf"{WJ}\:smile{WJ}\: WWW{WJ}\.x"),
    ("two\nlines\r\n\tand a tab", "two lines and a tab"),
    ("N63.25 left breast", r"N63\.25 left breast"),
])
def test_markdown_escaping_leaves_no_markup(raw, escaped):
    assert md(raw) == escaped


def test_every_ascii_punctuation_character_is_escaped_and_nothing_else_changes():
    punctuation = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
    assert md(punctuation).replace(WJ, "") == "".join("\\" + c for c in punctuation)
    assert md("Ünïcode Blue Ridge Health 2025") == "Ünïcode Blue Ridge Health 2025"


@pytest.mark.parametrize(("raw", "escaped"), [
    ("<b>C001</b>", "&lt;b&gt;C001&lt;/b&gt;"),
    ("a & b <br> 'c' \"d\"", "a &amp; b &lt;br&gt; 'c' \"d\""),
    ("&amp;", "&amp;amp;"),
    ("$x^2$", "$x^2$"),
])
def test_plotly_escaping_turns_its_html_into_entities(raw, escaped):
    assert plotly_text(raw) == escaped

