"""caresec.store."""
