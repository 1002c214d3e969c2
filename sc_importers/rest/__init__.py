"""REST clients for SC / Geti servers: one interface, one module per API dialect."""
