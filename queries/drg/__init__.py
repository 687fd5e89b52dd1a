"""MS-DRG in one place: grouper versions and results, the grouper and MCE engine, grouping claims, the DRG
finding a regroup proposes, and the DRG validation metrics. Never imports streamlit."""
