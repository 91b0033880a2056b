"""The WSGI entry point for gunicorn and uWSGI: ``wsgi_app.wsgi:application``.

Building the app opens no database connection (the pool is made by the first request in each
worker), so importing this module in a master process before it forks is safe.
"""

from wsgi_app import create_app

application = create_app()
