"""Geometry shared by every reader and the REST layer, each thing written once.

- :mod:`~sc_importers.geometry.masks`: boolean mask -> polygons on the pixel-corner grid (numpy).
- :mod:`~sc_importers.geometry.clip`: polygons (Sutherland–Hodgman) and boxes clipped to the image.
- :mod:`~sc_importers.geometry.video`: one video probe (size, frame count by one rule, fps; PyAV).
- :mod:`~sc_importers.geometry.image_header`: an image's size from its header (Pillow).

Importing this package imports none of numpy, PyAV or Pillow: ``masks`` imports numpy when it is
imported itself, the probes import PyAV and Pillow when called. The embedded server
(``sc_importers/server/``) keeps its own implementations: it shares no code with the client.
"""
