"""Dev and test-time tooling: the local servers and time travel. Never imported by a service in production except through CRM_ENV=dev|test."""
