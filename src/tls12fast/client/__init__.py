"""TLS 1.2 client: ClientConnection and its handshake states."""
