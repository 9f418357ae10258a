"""The user service: accounts, passwords, access and refresh tokens, API keys."""
