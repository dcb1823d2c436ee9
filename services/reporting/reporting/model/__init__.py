"""Pure read-model rules: how an event changes a record, and what a record adds to the tallies."""
