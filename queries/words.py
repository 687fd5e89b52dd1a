"""The names people read for the values the store keeps as short codes: error categories, findings, code
types, appeal statuses and CARC categories. Pages and exports show these words, never the stored names
(`in_words`); a value without a name here is shown as it is, and a missing value as blank, never "None"."""
from __future__ import annotations

import pandas as pd

from queries.finding_rules import ERROR_CATEGORIES as CATEGORY_NAMES
from queries.finding_rules import FINDINGS as FINDING_NAMES
from queries.reference import CODE_TYPES, describe

# The words of each finding and error category (queries.finding_rules names them; a test keeps both equal).
ERROR_CATEGORIES = dict(zip(CATEGORY_NAMES, (
    "Specificity", "Wrong code", "Sequencing or principal diagnosis", "Missing code", "Unsupported code", "Modifier",
    "Present on admission", "DRG change", "Other"), strict=True))
FINDINGS = dict(zip(FINDING_NAMES, ("Agreed", "Revised", "Added (missed by the coder)", "Deleted (not supported)"),
                    strict=True))
APPEAL_STATUSES = {"pending": "Appeal pending", "overturned": "Overturned on appeal", "upheld": "Upheld on appeal"}
CARC_CATEGORIES = {
    "patient_responsibility": "Patient responsibility", "coding": "Coding", "administrative": "Administrative",
    "eligibility": "Eligibility", "contractual": "Contractual", "medical_necessity": "Medical necessity",
    "coverage": "Coverage", "authorization": "Authorization", "unknown": "Not in our CARC table",
}
# column -> the words for its values
VOCABULARIES: dict[str, dict[str, str]] = {
    "error_category": ERROR_CATEGORIES, "finding": FINDINGS, "code_type": CODE_TYPES,
    "appeal_status": APPEAL_STATUSES, "category": CARC_CATEGORIES,
}
FLAGS = {"coding_related": ("Coding-related", "Other reason")}
# Code columns read with the row's code_type: dotted, with the official title where one may be shown.
CODE_COLUMNS = ("code", "submitted_code", "audited_code", "procedure_code")


def in_words(df: pd.DataFrame) -> pd.DataFrame:
    """A copy with every column of VOCABULARIES and FLAGS in words, the codes of CODE_COLUMNS described
    (queries.reference.describe) when the frame has their code_type, and missing text as blank."""
    out = df.copy()
    if "code_type" in out:
        for column in CODE_COLUMNS:
            if column in out:
                out[column] = [describe(kind, code) for kind, code in zip(out["code_type"], out[column], strict=True)]
    for column, words in VOCABULARIES.items():
        if column in out:
            out[column] = out[column].map(lambda v, w=words: "" if v is None or pd.isna(v) else w.get(str(v), str(v)))
    for column, (yes, no) in FLAGS.items():
        if column in out:
            out[column] = out[column].map({True: yes, False: no})
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else v)
    return out
