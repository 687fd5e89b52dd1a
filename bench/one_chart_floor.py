"""The floor for bench/dashboard.py: a Streamlit page that draws one Plotly chart when a button is clicked.

Nothing can render faster than this in the same browser and server, so the dashboard's figures are read
as ratios to it. Run by bench/dashboard.py (`streamlit run bench/one_chart_floor.py`).
"""
import plotly.graph_objects as go
import streamlit as st

st.set_page_config(page_title="One chart", layout="wide")
st.title("One chart")
if st.button("Show chart"):
    months = [f"2025-{m:02d}" for m in range(1, 13)] + [f"2026-{m:02d}" for m in range(1, 13)]
    figure = go.Figure(go.Scatter(x=months, y=[0.93 + (i % 5) / 100 for i in range(24)], mode="lines+markers"))
    figure.update_layout(title="One chart", height=380, showlegend=False)
    st.plotly_chart(figure, config={"displayModeBar": False})
