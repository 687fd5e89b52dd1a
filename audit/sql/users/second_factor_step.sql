-- Accept a code's time step once: only a later step than the last accepted one changes a row
-- (binds the step, the username, the step again).
UPDATE second_factors SET last_step = ? WHERE username = ? AND last_step < ?;
