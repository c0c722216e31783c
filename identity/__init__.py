"""People and their tokens: who is behind a request, and in which role. Store side (SQL).
Tokens are stored hashed; an institution's single sign-on can replace them behind
`authenticate` without touching the API."""
