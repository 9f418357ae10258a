"""The gateway: the only public entry; routes /api/v1 to the services and serves the UI."""
