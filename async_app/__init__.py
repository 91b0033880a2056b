"""The forum on Tornado: coroutines on one event loop per process, over the shared domain layer."""
