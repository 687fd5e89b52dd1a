-- The export's reader sorts whole tables (ORDER BY ALL) before writing them: more memory than a dashboard
-- session's 512 MB, and room to spill in the export's own private staging folder ({path}), which is removed
-- before the export is put in place. The exported tables are pseudonymous; the PHI vault is never read.
SET memory_limit = '2GB';
SET enable_progress_bar = false;
SET temp_directory = {path};
