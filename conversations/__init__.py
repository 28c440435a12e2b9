"""The pure conversation engine: boundary types, flows, message catalogs.

Nothing here performs I/O of its own or reads the clock: the caller passes the current
time, the person and a read-only view of the world in a Context.
"""
