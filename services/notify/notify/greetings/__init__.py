"""Birthday and founding-anniversary greetings to contacts, on the day in their time zone."""
