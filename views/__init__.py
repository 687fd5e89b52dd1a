"""The Streamlit pages and their shared helpers. Pages are thin: read the filters, call queries/ and
audit/, draw. Nothing here decides access (audit.permissions does) or holds SQL (queries/ does)."""
