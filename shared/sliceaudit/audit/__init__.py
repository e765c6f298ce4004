"""The audit: classification, root cause, owners, impact and the report's terms, over api records."""
