"""The catalogue (DESIGN §6): index mappings, the event indexer, the query builder.

The ServiceModule that plugs it into a process is ``search.service.MODULE``; importing
this package alone pulls in nothing but the pure parts' dependencies.
"""
