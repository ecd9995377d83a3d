"""Conversations with a contact on one channel, their messages and internal comments."""
