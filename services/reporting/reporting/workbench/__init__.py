"""The rep's workbench: today, overdue, high intent but stalled, pinned."""
