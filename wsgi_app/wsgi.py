"""The WSGI entry point for gunicorn and uWSGI: ``wsgi_app.wsgi:application``.

Building the app opens no database connection (the pool is made by the first request in each
worker), so importing this module in a master process before it forks is safe.
"""

import logging
import os

from wsgi_app import create_app

# The process entry point under gunicorn and uWSGI (the `forum` command does this for the others):
# without it the app's INFO lines, such as the access log, would go nowhere.
logging.basicConfig(level=os.environ.get("FORUM_LOG_LEVEL", "info").upper(),
                    format="%(asctime)s %(levelname)s %(name)s [%(process)d]: %(message)s")

application = create_app()
