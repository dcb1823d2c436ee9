"""Working leads (DOMAIN §1, lead states): reading them, and moving them new -> assigned -> contacted -> converted | disqualified | merged."""
