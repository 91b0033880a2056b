"""The forum's domain and storage layer, written once and used by both apps.

Nothing in this package imports Tornado or Flask: the apps are thin adapters from HTTP to it.
"""
