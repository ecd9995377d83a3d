"""Contacts: the people a tenant talks to, unique per tenant by e-mail and by phone."""
