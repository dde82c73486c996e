"""Cases, the minimal data set and the bases for sharing it (intake, triage, consents)."""
