"""Configuration: where data and keys live, and every setting read from the environment, validated in
one place. The lowest layer: imports nothing else of ours (tests/test_layout.py keeps it so)."""
