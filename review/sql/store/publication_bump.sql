-- Tell readers to reload the published findings.
UPDATE publication SET version = version + 1;
