"""Channel ingestion: one inbound message in, contact + conversation + message + triage out."""
