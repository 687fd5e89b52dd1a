-- What the fresh ingest sealed (vault values and rejected rows) and how many inpatient claims it grouped.
SELECT (SELECT count(*) FROM phi_vault) + (SELECT count(*) FROM rejects),
       (SELECT count(*) FROM claims WHERE encounter_type = 'inpatient');
