"""A read-only web viewer of the server's own store, served under ``/viewer/`` behind the login:
projects, a paged media grid with annotation counts per task, and each image or video frame with
its annotations drawn. Register it with :func:`sc_importers.server.viewer.routes.install`."""
