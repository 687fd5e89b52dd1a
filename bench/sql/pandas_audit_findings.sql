-- The pandas baseline's copy of audit_findings.
SELECT * FROM audit_findings;
