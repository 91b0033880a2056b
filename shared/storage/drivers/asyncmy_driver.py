"""MySQL/MariaDB for the Tornado app on asyncmy (``FORUM_MYSQL_DRIVER=asyncmy``).

asyncmy speaks aiomysql's API with its protocol compiled by Cython, so the pool, the timeouts and the
session's start are aiomysql's (``aiomysql_driver.py``); only the connect call and the exception
classes are asyncmy's. Like aiomysql it has no read timeout of its own that we rely on: every round
trip is bounded by ``CoroutineDatabase`` (RELIABILITY 5, 45).
"""

from __future__ import annotations

import asyncmy
import asyncmy.errors

from shared.config import Settings
from shared.storage.drivers.aiomysql_driver import open_coroutine_mysql
from shared.storage.drivers.common import DatabaseUrl, Dialect, mysql_connect_args
from shared.storage.drivers.database import CoroutineDatabase

ASYNCMY = Dialect("mysql", errors=asyncmy.errors)


async def open_asyncmy(settings: Settings, url: DatabaseUrl) -> CoroutineDatabase:
    args = mysql_connect_args(url, settings)
    args["database"] = args.pop("db")   # asyncmy's ``db`` is deprecated
    return await open_coroutine_mysql(settings, url, lambda: asyncmy.connect(**args), ASYNCMY)
