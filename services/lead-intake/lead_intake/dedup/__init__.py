"""De-duplication (查重, 防撞单, DOMAIN §1): the verdicts, the company records they are found by, the check before a call, and what a caller may learn of records that exist."""
