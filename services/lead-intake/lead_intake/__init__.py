"""Lead intake and de-duplication."""
