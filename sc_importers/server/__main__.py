"""``python -m sc_importers.server`` runs the same as the ``sc-server`` console script."""

from sc_importers.server.cli import main

main()
