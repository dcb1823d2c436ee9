"""Taking leads in (DOMAIN §1): one submission, a batch or a CSV import; normalised, de-duplicated, scored, assigned."""
