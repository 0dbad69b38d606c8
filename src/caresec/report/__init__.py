"""caresec.report."""
