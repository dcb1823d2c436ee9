"""Per-user preferences: channels per reminder kind, email, language, time zone, quiet hours, and the
userids that reach the user in the company's DingTalk and WeCom."""
