"""Data files for the understanding layer (sentiment lexicons); a package so the YAML ships in the wheel."""
