"""One-off data migrations, run by hand: python -m customer.migrations.<name>. Not part of the domain."""
