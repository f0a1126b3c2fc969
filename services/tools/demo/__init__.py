"""Demo data for ``make run``: a seeded market of institutions, patents, listings and
enterprises' demands (``generator``, pure), written through the services' own use cases
(``loader``) by ``psm seed`` (``command``)."""
