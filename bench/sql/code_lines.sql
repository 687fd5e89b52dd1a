-- How big a store is: its code lines.
SELECT count(*) FROM claim_codes;
