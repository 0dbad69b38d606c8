"""caresec.risk."""
