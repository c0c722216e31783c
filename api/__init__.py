"""HTTP API: every CLI operation, with identities from bearer tokens."""
