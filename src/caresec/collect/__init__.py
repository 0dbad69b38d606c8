"""caresec.collect."""
