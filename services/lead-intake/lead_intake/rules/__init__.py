"""The rules an admin changes at runtime: scoring, assignment and de-duplication."""
