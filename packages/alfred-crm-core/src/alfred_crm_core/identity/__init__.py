"""Identity: tenants, users, memberships, tokens and the login throttle."""
