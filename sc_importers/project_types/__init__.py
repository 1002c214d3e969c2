"""Project-type builders: the core ones live in :mod:`.builtin`, the contract in :mod:`.base`."""
