"""MySQL/MariaDB for the Flask app on mysqlclient (``MySQLdb``, ``FORUM_MYSQL_DRIVER=mysqlclient``).

mysqlclient wraps the C client library (libmariadb): its protocol costs little Python, and it lets
other threads run while it waits. The pool and the session's start are PyMySQL's
(``pymysql_driver.py``); the library bounds the connect, every read and every write itself
(RELIABILITY 5, 45), in whole seconds. It blocks in C, so it cannot yield to gevent: with gunicorn's
gevent workers use PyMySQL.
"""

from __future__ import annotations

import math

import MySQLdb

from shared.config import Settings
from shared.storage.drivers.common import DatabaseUrl, Dialect, mysql_connect_args
from shared.storage.drivers.database import BlockingDatabase
from shared.storage.drivers.pymysql_driver import open_blocking_mysql

MYSQLCLIENT = Dialect("mysql", errors=MySQLdb)


def open_mysqlclient(settings: Settings, url: DatabaseUrl) -> BlockingDatabase:
    args = mysql_connect_args(url, settings)
    args["database"] = args.pop("db")
    args.update(connect_timeout=_seconds(settings.connect_timeout), read_timeout=_seconds(settings.read_timeout),
                write_timeout=_seconds(settings.write_timeout))
    return open_blocking_mysql(settings, url, lambda: MySQLdb.connect(**args), MYSQLCLIENT)


def _seconds(timeout: float) -> int:
    """The C library counts whole seconds: round up, so no timeout becomes shorter (or 0: none)."""
    return max(1, math.ceil(timeout))
