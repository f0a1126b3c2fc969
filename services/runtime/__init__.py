"""The shared runtime (the kernel) every bounded context plugs into: HTTP conventions,
storage, settings, access rules, errors, the module contract. It imports no context."""
