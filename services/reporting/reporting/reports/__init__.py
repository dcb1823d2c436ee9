"""The reports of DOMAIN §5, one module each, computed without I/O from the tallies' rows and the
records that reading.py hands them; query.py reads the tallies within the viewer's scope."""
