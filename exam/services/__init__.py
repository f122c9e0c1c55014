"""The domain: assembly, grading, eligibility, certificates, bank sync. Services flush; callers commit."""
