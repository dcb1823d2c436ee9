"""Outbound channels: SMTP email, DingTalk / WeCom / Feishu group robots, Standard Webhooks, and the
secrets they keep sealed."""
