"""The write side: reading input files, staging them, grouping claims and swapping the store in."""
