"""PHI protection, users and roles, and the tamper-evident access log. Never imports streamlit."""
