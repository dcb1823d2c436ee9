"""Test support shared by every service's tests: real servers, clean state, event assertions."""
