"""The dashboard's screens. `views/pages/` holds the page scripts st.navigation runs (one file per page,
never imported); `views/` holds what they share: the session, the sidebar and navigation, the sign-in
screen, filters, tiles, tables and charts. Pages are thin: read the filters, call queries/ and audit/,
draw. Nothing here decides access (audit.permissions does) or holds SQL (queries/ does)."""
