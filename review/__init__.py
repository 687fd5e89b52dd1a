"""The auditors' workflow: reproducible samples, the review worklist, coder rebuttal, appraisal and
extrapolation. Never imports streamlit."""
