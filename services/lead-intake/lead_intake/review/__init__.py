"""The review queue of possible duplicates, merging, and the audit of merges (DOMAIN §1)."""
