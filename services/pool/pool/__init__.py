"""The public customer pool and reclaim."""
