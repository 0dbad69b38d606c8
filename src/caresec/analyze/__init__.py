"""caresec.analyze."""
