"""Message templates per kind and language, with `{{ contact.name }}` placeholders rendered safely."""
