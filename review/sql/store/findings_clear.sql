-- A draft's findings, before they are saved again.
DELETE FROM findings WHERE review_id = ? AND revision = ?;
