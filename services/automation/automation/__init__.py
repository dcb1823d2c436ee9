"""The automation service: versioned if-then rules evaluated on every topic's events; each action is a
request on crm.automation that the service owning the data applies (DOMAIN §7)."""
