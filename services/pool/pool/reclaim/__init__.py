"""Reclaim (被动回收): when an owned customer falls due, the warnings before, the job, and rule previews."""
