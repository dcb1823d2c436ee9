"""One-off data migrations, each runnable as python -m notify.migrations.<name>."""
