"""A local SC 1.0-compatible server (sc-server). Shares no code with the client side."""
