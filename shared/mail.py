"""Sending what the outbox holds: rendering a row into a message, and handing it to SMTP or a file.

Where mail goes is one setting, ``smtp_url``:

- ``smtp://user:password@host:587?starttls=true`` — SMTP, upgraded with STARTTLS when asked;
- ``smtps://user:password@host:465`` — SMTP over TLS from the first byte;
- empty — every message is written to ``mail_dir`` (``var/mail/``) as one ``.eml`` file, which a
  developer opens with any mail reader.

The outbox's delivery pass (:func:`shared.storage.outbox.deliver_due`) is an operation; it calls
:meth:`Mailer.send` through a ``Compute`` step. So both flavours speak SMTP with the standard
library's blocking ``smtplib``: inline on the thread of the WSGI flavours' sender, in the event loop's
executor for Tornado. Why not aiosmtplib on the loop: the pass is written once for both runners,
sends one message at a time on one connection, and a blocking client in an executor thread costs
the loop nothing; a second SMTP client would be a second set of TLS and error rules to keep right.

Who runs the pass (a lease in the database lets one sender deliver at a time): a
``PeriodicCallback`` in every Tornado process; for the WSGI flavours ``forum deliver --every``, a
:class:`SenderThread` in a process of its own that their launcher starts beside the server; and
``forum deliver`` once, from the command line.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import smtplib
import socket
import ssl
import threading
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from shared import clock, emails
from shared.config import ConfigError, Settings
from shared.i18n import DEFAULT_LOCALE
from shared.keys import Keys
from shared.storage import outbox, watching
from shared.storage.effects import Op
from shared.storage.outbox import Refused
from shared.storage.runners import AsyncDatabase, Services, SyncDatabase, run_async, run_sync

log = logging.getLogger("forum.mail")
SMTP_TIMEOUT = 10.0      # seconds per SMTP step; well inside the sender's lease


def holder_name() -> str:
    """This sender's name on the lease: host, process and a random part (two senders in one process differ)."""
    return f"{socket.gethostname()[:60]}/{os.getpid()}/{secrets.token_hex(4)}"


class Mailer:
    """Renders outbox rows and delivers them, over one SMTP connection per pass (or into files)."""

    def __init__(self, settings: Settings) -> None:
        self.base_url = settings.base_url.rstrip("/")
        self.domain = urlsplit(self.base_url).hostname or "localhost"
        self.sender = settings.mail_from or f"forum@{self.domain}"
        self.smtp_url = settings.smtp_url
        self.mail_dir = Path(settings.mail_dir)
        self.keys = Keys.from_settings(settings)
        self._smtp: smtplib.SMTP | None = None
        if self.smtp_url:
            parse_smtp_url(self.smtp_url)   # a wrong URL stops start-up, not the first message

    def describe(self) -> str:
        """Where messages go, for the ready line and ``make run``."""
        if self.smtp_url:
            parts = urlsplit(self.smtp_url)
            return f"e-mail goes to {parts.scheme}://{parts.hostname}:{parts.port or ''}"
        return f"e-mail goes to .eml files in {self.mail_dir.resolve()} (FORUM_SMTP_URL sends it instead)"

    def compose(self, row: Mapping[str, Any]) -> EmailMessage:
        """The message of one outbox row. Its Message-ID comes from the row, so every retry has the same one."""
        params = json.loads(row["params"] or "{}")
        if "user_id" in params:   # notification e-mail: the one-click unsubscribe link, signed now
            params["unsubscribe"] = watching.unsubscribe_token(params["user_id"], self.keys)
        rendered = emails.render(row["template"], params, self.base_url, row.get("locale") or DEFAULT_LOCALE)
        message = EmailMessage()
        message["Subject"] = rendered.subject
        message["From"] = self.sender
        message["To"] = row["recipient"]
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{row['message_key']}@{self.domain}>"
        if rendered.unsubscribe:   # RFC 8058: a POST to this URL unsubscribes, with no page to visit
            message["List-Unsubscribe"] = f"<{rendered.unsubscribe}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        # Plain ASCII stays readable in an .eml file (links unbroken); other text is quoted-printable.
        message.set_content(rendered.text, cte="7bit" if rendered.text.isascii() else "quoted-printable")
        message.add_alternative(rendered.html, subtype="html")
        return message

    def send(self, row: Mapping[str, Any]) -> Refused | None:
        """Deliver one row: None when the server took it, else :class:`Refused` (never raises for the network)."""
        try:
            message = self.compose(row)
        except (KeyError, ValueError, TypeError) as exc:   # a row no template can render: never block the rest
            return Refused(f"cannot render: {type(exc).__name__}: {exc}"[:255], permanent=True)
        if not self.smtp_url:
            return self._write(message, row)
        try:
            if self._smtp is None:
                self._smtp = connect(self.smtp_url)
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            return Refused(f"recipient refused: {codes}", permanent=all(code >= 500 for code in codes))
        except smtplib.SMTPDataError as exc:
            self.close()
            return Refused(f"message refused: {exc.smtp_code}", permanent=exc.smtp_code >= 500)
        except (smtplib.SMTPException, OSError) as exc:   # down, refusing, timing out: again later
            self.close()
            return Refused(f"{type(exc).__name__}: {exc}"[:255])
        return None

    def _write(self, message: EmailMessage, row: Mapping[str, Any]) -> Refused | None:
        """One ``.eml`` file per message, named by time and Message-ID (written whole, then renamed)."""
        try:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            name = f"{clock.now():%Y%m%d-%H%M%S}-{row['message_key']}.eml"
            partial = self.mail_dir / f".{name}.part"
            partial.write_bytes(message.as_bytes())
            partial.replace(self.mail_dir / name)
        except OSError as exc:
            return Refused(f"cannot write to {self.mail_dir}: {exc}"[:255])
        return None

    def close(self) -> None:
        """End this pass's SMTP connection (politely if it still answers)."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def parse_smtp_url(url: str) -> tuple[str, str, int, str, str, bool]:
    """``smtp[s]://user:password@host:port?starttls=true`` → scheme, host, port, user, password, starttls."""
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"smtp_url: expected smtp://host:port or smtps://host:port, not {url!r}")
    starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
    port = parts.port or (465 if parts.scheme == "smtps" else 587 if starttls else 25)
    return (parts.scheme, parts.hostname, port, unquote(parts.username or ""), unquote(parts.password or ""),
            starttls)


def connect(url: str) -> smtplib.SMTP:
    """An SMTP connection as the URL says: TLS from the start or by STARTTLS, verified; logged in if a user is given."""
    scheme, host, port, user, password, starttls = parse_smtp_url(url)
    context = ssl.create_default_context()
    smtp: smtplib.SMTP
    if scheme == "smtps":
        smtp = smtplib.SMTP_SSL(host, port, timeout=SMTP_TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT)
        if starttls:
            smtp.starttls(context=context)
    if user:
        smtp.login(user, password)
    return smtp


# -- the pass, and who runs it ----------------------------------------------------------------------

def one_pass(mailer: Mailer, holder: str, max_delay: float) -> Op[int]:
    """Queue the daily digests that are due, then deliver what is due; how many messages were sent."""
    yield from watching.queue_digests()
    return (yield from outbox.deliver_due(mailer, holder, max_delay))


def sender_services(settings: Settings) -> Services:
    """The runner's services for the sender: the app's keys (unsubscribe links in digests)."""
    return Services(keys=Keys.from_settings(settings))


def deliver_sync(db: SyncDatabase, mailer: Mailer, holder: str, settings: Settings) -> int:
    """One pass on a blocking pool (the sender thread, ``forum deliver``)."""
    try:
        return run_sync(db, one_pass(mailer, holder, settings.mail_retry_max), sender_services(settings))
    finally:
        mailer.close()


async def deliver_async(db: AsyncDatabase, mailer: Mailer, holder: str, settings: Settings,
                        services: Services) -> int:
    """One pass on a coroutine pool (Tornado's periodic callback); SMTP runs in the executor."""
    try:
        return await run_async(db, one_pass(mailer, holder, settings.mail_retry_max), services)
    finally:
        mailer.close()


class SenderThread(threading.Thread):
    """``forum deliver --every``: a pass every ``mail_interval`` seconds on a small pool of its own.

    The WSGI launchers start that command beside the server (``shared.cli.wsgi_servers``): one
    sender per deployment however many workers serve requests.
    """

    def __init__(self, settings: Settings, db: SyncDatabase) -> None:
        super().__init__(name="forum-mail-sender", daemon=True)
        self.settings, self.db = settings, db
        self.mailer = Mailer(settings)
        self.holder = holder_name()
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                deliver_sync(self.db, self.mailer, self.holder, self.settings)
            except Exception:   # the database may be down: log it, try again next time
                log.exception("mail delivery pass failed")
            self.stopping.wait(self.settings.mail_interval)
        try:
            run_sync(self.db, outbox.release_lease(self.holder))
        except Exception:
            log.warning("could not hand back the mail sender's lease; it runs out by itself")

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=SMTP_TIMEOUT * 3)
