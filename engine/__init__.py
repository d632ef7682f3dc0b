"""examenbron engine: read, normalise, derive, check, decide and report VO exam results."""
