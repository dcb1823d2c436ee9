"""Channels (DOMAIN §1): every lead source with its own API key, quality weight and rate limit."""
