"""Per-user preferences: channels per reminder kind, email, language, time zone and quiet hours."""
