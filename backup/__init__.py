"""One-command backup and restore (`manage.py backup`, `manage.py restore`): a consistent snapshot of the store,
the accounts, the reviews and the access log with its checkpoints, taken while the dashboard runs; and the keys,
only when asked, in a separate file sealed under a passphrase."""
