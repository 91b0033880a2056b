"""The mail server over TLS, as ``FORUM_SMTP_URL`` names it: STARTTLS (``smtp://…?starttls=true``) and
TLS from the start (``smtps://``), with the certificate checked and a login.

A real aiosmtpd server with a certificate made here by ``openssl`` for 127.0.0.1; the client trusts
it the way an operator's machine trusts a CA (``SSL_CERT_FILE``), and refuses it when it does not.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from shared.cli.processes import free_port
from shared.mail import connect
from tests.support.services import require_service


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    openssl = require_service("openssl (apt install openssl)", lambda: shutil.which("openssl"))
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


class Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(envelope.content)
        return "250 OK"


def login_ok(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    return AuthResult(success=data.login == b"forum" and data.password == b"s3cret")


@pytest.fixture(params=["starttls", "smtps"])
def server(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[tuple[str, Inbox]]:
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, port = Inbox(), free_port()
    # aiosmtpd offers AUTH on an implicit-TLS connection only when not told to wait for STARTTLS
    tls: dict[str, Any] = ({"tls_context": context, "require_starttls": True, "auth_require_tls": True}
                           if request.param == "starttls" else {"ssl_context": context, "auth_require_tls": False})
    controller = Controller(inbox, hostname="127.0.0.1", port=port, authenticator=login_ok, **tls)
    controller.start()
    url = (f"smtp://forum:s3cret@127.0.0.1:{port}?starttls=true" if request.param == "starttls"
           else f"smtps://forum:s3cret@127.0.0.1:{port}")
    try:
        yield url, inbox
    finally:
        controller.stop()


def message() -> EmailMessage:
    sent = EmailMessage()
    sent["From"], sent["To"], sent["Subject"] = "forum@127.0.0.1", "ann@example.org", "Over TLS"
    sent.set_content("hello")
    return sent


def test_mail_goes_over_tls_with_a_verified_certificate_and_a_login(server: tuple[str, Inbox],
                                                                     certificate: tuple[Path, Path],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, inbox = server
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))
    smtp = connect(url)
    try:
        smtp.send_message(message())
    finally:
        smtp.quit()
    assert len(inbox.messages) == 1 and b"Subject: Over TLS" in inbox.messages[0]


def test_a_certificate_nobody_vouches_for_is_refused(server: tuple[str, Inbox], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url, inbox = server
    empty = tmp_path / "no-cas.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(ssl.SSLError):
        connect(url)
    assert inbox.messages == []
