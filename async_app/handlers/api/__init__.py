"""The JSON API under /api/v1: a module per resource, a handler class per path (listed in ``async_app.app``).

Each handler derives from ``base.ApiHandler``, which applies the rules of ``shared.routes.ROUTES``.
"""
