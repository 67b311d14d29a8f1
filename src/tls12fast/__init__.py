"""tls12fast: a fast TLS 1.2 engine (placeholder during bootstrap)."""
