-- The findings one claim rebuttal names, in the order the coder gave them.
SELECT rebuttal_id, finding_id, comment, decision FROM rebuttals WHERE claim_rebuttal_id = ? ORDER BY rowid;
