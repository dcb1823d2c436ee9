"""Reaching one rep in person: a DingTalk work notification (工作通知) or a WeCom application message
(应用消息) through the company's own app, to the userid the rep set in their preferences."""
