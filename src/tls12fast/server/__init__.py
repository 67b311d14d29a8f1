"""TLS 1.2 server: ServerConnection and its handshake states."""
