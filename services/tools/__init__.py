"""Tools around the contexts: the ``psm`` command, the process entry points, demo data."""
