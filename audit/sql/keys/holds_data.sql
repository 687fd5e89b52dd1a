-- Whether the store holds anything a key protects or was made with: then no key may be created for it.
SELECT EXISTS (SELECT 1 FROM claims)
    OR EXISTS (SELECT 1 FROM phi_vault)
    OR EXISTS (SELECT 1 FROM rejects)
    OR EXISTS (SELECT 1 FROM ingest_runs)
    OR EXISTS (SELECT 1 FROM key_checks);
