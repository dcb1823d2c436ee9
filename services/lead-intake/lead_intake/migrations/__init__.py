"""One-off data migrations, each runnable as python -m lead_intake.migrations.<name>."""
