"""Stopping ``forum serve FLAVOUR --nginx`` under load: nginx stops first (QUIT: finish what it has),
then the app, so no client ever sees a 502 from an app that went away under nginx; exit 0."""

from __future__ import annotations

import shutil
import signal
import threading
from collections import Counter

import pytest
import requests

from tests.support.servers import REPO_ROOT, fresh_database, running_server

from .sites import EXTRA_ARGS, FLAVOURS

CLIENTS = 6


@pytest.mark.parametrize("flavour", FLAVOURS)
def test_sigterm_under_load_answers_or_refuses_never_fails(nginx_binary: str, flavour: str) -> None:
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()
    under_load = threading.Event()   # set once there are as many 200s as clients: the load is on
    stopped = threading.Event()

    with fresh_database("sqlite", prefix="forum_nx_") as url, \
            running_server(flavour, url, extra_args=("--nginx", *EXTRA_ARGS[flavour])) as server:

        def client() -> None:
            while not stopped.is_set():
                try:
                    outcome = str(requests.get(server.base_url + "/api/v1/groups", timeout=30).status_code)
                except requests.ConnectionError:
                    outcome = "not served"   # nginx had stopped accepting, or closed an idle connection
                with lock:
                    outcomes[outcome] += 1
                    if outcomes["200"] >= CLIENTS:
                        under_load.set()

        clients = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in clients:
            thread.start()
        assert under_load.wait(30), f"the clients were not served: {outcomes}"
        server.process.send_signal(signal.SIGTERM)
        try:
            code = server.process.wait(timeout=60)
        finally:
            stopped.set()
            for thread in clients:
                thread.join(timeout=40)
        assert code == 0, server.output()   # running_server checks it again on the way out

    assert outcomes["200"] > 0
    assert set(outcomes) <= {"200", "not served"}, outcomes
    shutil.rmtree(REPO_ROOT / "var" / f"nginx-{server.base_url.rsplit(':', 1)[1]}", ignore_errors=True)
