"""The reports of DOMAIN §5, read from the tallies within the viewer's scope."""
