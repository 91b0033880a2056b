"""A graceful stop survives a repeated SIGTERM (a supervisor's, or a test's second word): the server
still finishes and exits 0, instead of dying of the signal once its loop has closed."""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.servers import ServerUnavailable, fresh_database, running_server
from tests.support.services import missing_service


@pytest.mark.parametrize("flavour", ["tornado", "wsgi-container"])
def test_sigterm_again_during_the_stop_still_exits_0(flavour: str) -> None:
    try:
        with fresh_database("sqlite") as url, running_server(flavour, url, check_exit=False) as server:
            server.process.send_signal(signal.SIGTERM)
            while server.process.poll() is None:        # keep repeating it until the process is gone
                server.process.send_signal(signal.SIGTERM)
                time.sleep(0.005)
            code = server.process.returncode
    except ServerUnavailable as exc:
        missing_service(f"the {flavour}:sqlite server", exc)
    assert code == 0
