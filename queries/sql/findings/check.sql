-- Review saves: the rules of each typed finding (finding_rules.sql), on values normalised as ingest does.
SELECT finding_problem(
           upper(nullif(trim(code_type), '')),
           upper(replace(nullif(trim(submitted_code), ''), '.', '')),
           upper(replace(nullif(trim(audited_code), ''), '.', '')),
           lower(nullif(trim(finding), '')),
           lower(nullif(trim(error_category), '')),
           nullif(trim(dollar_impact), '')) AS problem,
       upper(nullif(trim(code_type), '')) AS code_type,
       upper(replace(nullif(trim(submitted_code), ''), '.', '')) AS submitted_code,
       upper(replace(nullif(trim(audited_code), ''), '.', '')) AS audited_code,
       lower(nullif(trim(finding), '')) AS finding,
       lower(nullif(trim(error_category), '')) AS error_category,
       CAST(dollar_amount(nullif(trim(dollar_impact), '')) AS VARCHAR) AS dollar_impact
FROM typed_findings
ORDER BY position;
