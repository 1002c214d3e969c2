"""The Intel Geti 2.x REST dialect (``/api/v1/``), served on the same store as the SC 1.0 dialect.

A project, its media and its annotations exist once; each dialect is a view of them. This package
only translates: Geti's paths, ids (uuid4 organization and workspace), JSON shapes, absolute-pixel
shapes and error codes onto the stored documents the SC 1.0 routes also read and write.
"""

from sc_importers.server.geti import (
    annotations,
    config_routes,
    media,
    media_query,
    platform,
    project_configuration,
    projects,
    range_annotations,
)
from sc_importers.server.geti.common import API

#: Every router of the dialect, served under :data:`API` (``/api/v1``).
ROUTERS = (platform.router, projects.router, media_query.router, media.router, annotations.router,
           range_annotations.router, config_routes.router, project_configuration.router)

__all__ = ["API", "ROUTERS"]
