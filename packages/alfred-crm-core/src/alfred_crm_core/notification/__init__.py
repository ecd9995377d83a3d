"""Notifications: per-user alerts that collapse when they repeat."""
