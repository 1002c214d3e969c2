"""REST clients for SC / Geti servers: one interface, one module per API dialect.

``connect(host, username, password)`` (SC 1.0) or ``connect(host, api_key=TOKEN)`` (Geti 2.x)
logs in and returns the :class:`ServerAPI` of the server's dialect; everything above the REST
layer only uses that interface.
"""

from sc_importers.rest.base import AuthenticationError, ServerAPI, ServerError
from sc_importers.rest.connect import connect

__all__ = ["AuthenticationError", "ServerAPI", "ServerError", "connect"]
