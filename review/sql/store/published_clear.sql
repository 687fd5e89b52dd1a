-- One review's published findings, before they are published again.
DELETE FROM published_findings WHERE review_id = ?;
