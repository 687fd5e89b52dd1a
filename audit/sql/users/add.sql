-- A new account: username, role, password hash, created at, password changed at, coder id (coders only).
INSERT INTO users (username, role, password_hash, created_at, password_changed_at, coder_id) VALUES (?, ?, ?, ?, ?, ?);
