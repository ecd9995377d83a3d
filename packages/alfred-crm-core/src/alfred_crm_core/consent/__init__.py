"""Consent records per contact (append-only) and the inferences made under a consent."""
