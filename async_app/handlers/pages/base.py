"""``PageHandler``: what every HTML page shares: the session cookie's user, XSRF, HTML error pages.

Like ``demos/blog``'s ``BaseHandler``: ``prepare()`` looks the session cookie up (asynchronously,
through the shared ``page_data.visitor`` operation), ``get_current_user`` returns what it found, and
``@tornado.web.authenticated`` sends anonymous visitors to ``login_url``. Unlike the JSON API
(which never reads the cookie, so a cookie alone gets 401 there), pages check Tornado's XSRF token
on every POST.

Languages (API.md §8): ``get_user_locale`` picks the page's language by the shared rule
(``shared.i18n.page_locale``), Tornado's ``_()`` says the templates' words in it from the catalog that
``async_app/app.py`` loads with ``tornado.locale.load_gettext_translations``, and ``tr`` says what the
core marked (titles, flash and field messages, labels).
"""

from __future__ import annotations

from typing import Any, TypeVar

import tornado.locale
import tornado.web

from async_app.handlers.base import BaseHandler
from shared import http, i18n, pages
from shared.errors import ForumError
from shared.ratelimit import throttled
from shared.storage import page_data
from shared.storage.effects import Op
from shared.storage.sessions import COOKIE_NAME, SESSION_DAYS

T = TypeVar("T")


class PageHandler(BaseHandler):
    def initialize(self, label: str | None = None) -> None:
        super().initialize(label)
        self.visitor: dict[str, Any] = {"viewer": self.viewer, "user": None, "unread": 0}   # until prepare()

    async def prepare(self) -> None:
        self.visitor = await self.run(page_data.visitor(self.get_cookie(COOKIE_NAME)))
        self.viewer = self.visitor["viewer"]

    def get_current_user(self) -> Any:
        return self.visitor["user"]

    def get_user_locale(self) -> tornado.locale.Locale:
        """The page's language: ``?lang=``, the switcher's cookie, the user's own, then the browser's."""
        user = self.visitor["user"]
        lang = i18n.page_locale(self.get_query_argument("lang", None), self.get_cookie(i18n.COOKIE),
                                user["locale"] if user else None, self.request.headers.get("Accept-Language"))
        return tornado.locale.get(i18n.CATALOG_NAMES[lang])

    @property
    def lang(self) -> str:
        """The page's language as ``<html lang>`` says it (``zh-CN``; Tornado's locale code is ``zh_CN``)."""
        return i18n.supported(self.locale.code) or i18n.DEFAULT_LOCALE

    # BaseHandler turns the check off for the API (bearer tokens, no cookies); pages need it back.
    check_xsrf_cookie = tornado.web.RequestHandler.check_xsrf_cookie

    def set_default_headers(self) -> None:
        for name, value in pages.security_headers(self.application.forum_settings.live_port).items():
            self.set_header(name, value)

    def get_template_namespace(self) -> dict[str, Any]:
        """What every template may use besides Tornado's own names (``_`` among them): the nav's unread
        count, a message, and the page's language: ``tr`` (a marked message), ``counted`` (a count and
        its noun), ``when`` (a time), the switcher's links; the message is a ``?done=`` confirmation's
        unless the page gives one."""
        namespace = super().get_template_namespace()
        settings, lang = self.application.forum_settings, self.lang
        done = self.request.query_arguments.get("done", [b""])[0].decode("ascii", "replace")
        namespace.update(unread=self.visitor["unread"], message=pages.done_message(done), values={}, errors={},
                         debug=settings.debug, live_port=settings.live_port, lang=lang,
                         tr=lambda message: i18n.translate(message, lang),
                         counted=lambda count, what: i18n.translate(pages.counted(count, what), lang),
                         when=lambda value: i18n.time_html(value, lang, settings.timezone),
                         languages=pages.language_links(self.request.path, self.request.query), **pages.LABELS)
        return namespace

    def form(self) -> dict[str, str]:
        """The posted form as ``{name: first value}``, what ``shared.pages.form_body`` takes."""
        return {name: self.decode_argument(values[0], name=name)
                for name, values in self.request.body_arguments.items()}

    def throttled(self, path: str, op: Op[T]) -> Op[T]:
        """``op`` behind the API route's rate limit for the same action (posting, signing the guestbook ...)."""
        return throttled("POST", path, self.viewer.user_id, self.client_address, op)

    def back(self, default: str, done: str | None = None) -> None:
        """303 to the form's ``next`` page (a local path only: never an open redirect), else ``default``;
        that page confirms ``done`` (a key of ``shared.pages.DONE``) in its flash."""
        self.see(pages.local_path(self.get_body_argument("next", ""), default), done)

    def see(self, path: str, done: str | None = None) -> None:
        """303 to ``path``, which confirms ``done`` (a key of ``shared.pages.DONE``) in its flash."""
        self.redirect(pages.done_path(path, done), status=303)

    def set_cookie(self, name: str, value: str | bytes, *args: Any, **kwargs: Any) -> None:
        """Every cookie a page sets (the session's, Tornado's own ``_xsrf``, a cleared one) is ``Secure``
        when the browser came over HTTPS: the rule of ``shared.pages.cookie_is_secure``."""
        request = self.request
        from_proxy = http.trusted_proxy(request.remote_ip or "", self.application.forum_settings.trusted_proxies)
        kwargs["secure"] = pages.cookie_is_secure(request.protocol, request.headers.get("X-Forwarded-Proto"), from_proxy)
        super().set_cookie(name, value, *args, **kwargs)

    def start_session_cookie(self, session_id: str) -> None:
        """A new session's cookie: HttpOnly (no script reads it), SameSite=Lax, Secure over HTTPS."""
        self.set_cookie(COOKIE_NAME, session_id, httponly=True, samesite="Lax", expires_days=SESSION_DAYS)

    async def attempt(self, op: Op[Any]) -> tuple[Any, ForumError | None]:
        """Run a form's operation: ``(value, None)``, or ``(None, refusal)`` when the user can fix it
        (422 invalid fields, 409 a conflict such as a taken name, 401 a wrong password, 429)."""
        try:
            return await self.run(op), None
        except ForumError as exc:
            if exc.status not in pages.FORM_STATUSES:
                raise
            return None, exc

    def refused(self, exc: ForumError) -> dict[str, Any]:
        """Set the refusal's status (and headers: a 429's Retry-After); what a template needs to show the
        form again with the user's input."""
        self.set_status(exc.status)
        for name, value in exc.headers.items():
            self.set_header(name, value)
        return pages.form_state(exc, self.form())

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """An HTML error page (the API answers problem+json; a page answers a page)."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ForumError):   # Tornado calls any exception but its HTTPError a 500
            status_code = exc.status
        detail = exc.detail if isinstance(exc, ForumError) and status_code < 500 else None
        self.clear()
        self.set_status(status_code)
        if isinstance(exc, ForumError):   # Retry-After of a 429 or a 503
            for name, value in exc.headers.items():
                self.set_header(name, value)
        self.render("error.html", status=status_code, title=pages.error_title(status_code), detail=detail)
