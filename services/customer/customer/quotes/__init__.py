"""Products and quotes (报价单): the price list as data, and versioned quotes on an opportunity."""
