"""The greetings and transactional messages notify ships, per language, used while an admin has saved
no template of that kind and language (POST /v1/templates). Subject for email; SMS sends the body."""
from __future__ import annotations

from ..templates import store

SHIPPED = {
    ("birthday_greeting", "zh"): {"subject": "{{ contact.name }}，生日快乐",
                                  "body": "{{ contact.name }}，您好：\n\n祝您生日快乐，万事如意！\n\n{{ sender.name }}"},
    ("birthday_greeting", "en"): {"subject": "Happy birthday, {{ contact.name }}",
                                  "body": "Dear {{ contact.name }},\n\nHappy birthday and all the best!\n\n"
                                          "{{ sender.name }}"},
    ("anniversary_greeting", "zh"): {"subject": "恭贺{{ customer.name }}周年庆",
                                     "body": "{{ contact.name }}，您好：\n\n值此{{ customer.name }}成立周年之际，"
                                             "谨致以诚挚祝贺！\n\n{{ sender.name }}"},
    ("anniversary_greeting", "en"): {"subject": "Happy anniversary, {{ customer.name }}",
                                     "body": "Dear {{ contact.name }},\n\nCongratulations on {{ customer.name }}'s "
                                             "anniversary!\n\n{{ sender.name }}"},
    ("quote_sent", "zh"): {"subject": "{{ customer.name }}的报价单",
                           "body": "{{ contact.name }}，您好：\n\n报价单已发送给您，详见附件，请注意查收。\n\n"
                                   "{{ sender.name }}"},
    ("quote_sent", "en"): {"subject": "Your quote, {{ customer.name }}",
                           "body": "Dear {{ contact.name }},\n\nPlease find your quote attached.\n\n{{ sender.name }}"},
    ("contract_sent", "zh"): {"subject": "{{ customer.name }}的合同",
                              "body": "{{ contact.name }}，您好：\n\n合同已在途中，请注意查收。\n\n{{ sender.name }}"},
    ("contract_sent", "en"): {"subject": "Your contract, {{ customer.name }}",
                              "body": "Dear {{ contact.name }},\n\nYour contract is on its way.\n\n{{ sender.name }}"},
}


def template(rt, kind: str, language: str | None, session=None) -> dict:
    """The admin's newest template of `kind` in the contact's language (or the other), else the shipped one."""
    saved = store.for_kind(rt, kind, language or "zh", session)
    if saved is not None:
        return saved
    shipped = SHIPPED[(kind, "en" if language == "en" else "zh")]
    return {"kind": kind, "language": language or "zh", "format": "text", **shipped}
