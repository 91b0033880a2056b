"""What the bench's searchers type (locust's ``SearchUser``), and ``searchtimes.py --locust`` times one at a time:
the words of the bulk data (``forum seed``) at several frequencies, prefixes, two-word queries, Chinese, and a
word nobody wrote. A module of its own so that ``searchtimes.py`` need not import locust."""

SEARCHES = ("tornado", "Flask", "mariadb", "timeouts", "keyset pagination", "connection pool", "torn", "pagin",
            "measure before", "pytest Redis", "nginx workers", "协程", "高并发 服务", "nonexistentword")
KINDS = ("post", "comment", "question", "group")   # a fifth of the searches ask for one of these
