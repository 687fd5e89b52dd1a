"""MS-DRG in one place: grouper versions and results, the grouper and MCE engine, grouping claims, the DRG
finding a regroup proposes, and the DRG validation metrics (ingest/grouping.py stores the results of a
batch's claims). Never imports streamlit."""
