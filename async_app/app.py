"""The Tornado application: named URLSpecs for every route, and what the handlers share.

Like Tornado's ``demos/blog``, an ``Application`` subclass holds the process's resources — the
database pool, the runner's services (keys, rate-limit counters, the link-preview HTTP client) — made once per process, after any
fork, and reached from handlers as ``self.application.db`` and so on.
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import tornado.httputil
import tornado.ioloop
import tornado.locale
import tornado.web
from tornado.web import URLSpec, url

from async_app import uimodules
from async_app.handlers.api.answers import (
    AnswerHandler,
    AnswerLikeHandler,
    AnswerRepliesHandler,
    AnswersHandler,
    AnswerVoteHandler,
)
from async_app.handlers.api.auth import LoginHandler, RegisterHandler
from async_app.handlers.api.base import ApiHandler
from async_app.handlers.api.bookmarks import BookmarksHandler, PostBookmarkHandler, QuestionBookmarkHandler
from async_app.handlers.api.comments import (
    CommentHandler,
    CommentLikeHandler,
    CommentRepliesHandler,
    CommentsHandler,
)
from async_app.handlers.api.docs import OpenApiHandler
from async_app.handlers.api.email import (
    PasswordResetConfirmHandler,
    PasswordResetHandler,
    PostWatchHandler,
    PreferencesHandler,
    QuestionWatchHandler,
    ResendVerificationHandler,
    UnsubscribeHandler,
    VerifyEmailHandler,
)
from async_app.handlers.api.events import events_url
from async_app.handlers.api.groups import (
    ApplicationHandler,
    ApplicationsHandler,
    CoverHandler,
    GroupHandler,
    GroupsHandler,
    MembersHandler,
    MembershipHandler,
)
from async_app.handlers.api.guestbook import GuestbookHandler
from async_app.handlers.api.linkpreview import LinkPreviewHandler, PreviewClient
from async_app.handlers.api.me import AvatarHandler, MeHandler, PasswordHandler
from async_app.handlers.api.moderation import (
    AuditLogHandler,
    ExportHandler,
    GroupBanHandler,
    GroupBansHandler,
    GroupModeratorHandler,
    HideAnswerHandler,
    HideCommentHandler,
    HidePostHandler,
    HideQuestionHandler,
    ReportHandler,
    ReportsHandler,
    RestoreAnswerHandler,
    RestoreCommentHandler,
    RestorePostHandler,
    RestoreQuestionHandler,
    RoleHandler,
    SiteBansHandler,
    StatsHandler,
    UserBanHandler,
)
from async_app.handlers.api.notifications import MarkReadHandler, NotificationsHandler, UnreadCountHandler
from async_app.handlers.api.posts import GroupPostsHandler, PostHandler, PostLikeHandler
from async_app.handlers.api.questions import AcceptedAnswerHandler, QuestionHandler, QuestionsHandler
from async_app.handlers.api.revisions import (
    AnswerRevisionsHandler,
    CommentRevisionsHandler,
    MarkdownHandler,
    PostRevisionsHandler,
    QuestionRevisionsHandler,
    UploadsHandler,
)
from async_app.handlers.api.search import SearchHandler
from async_app.handlers.api.users import (
    UserAnswersHandler,
    UserGroupsHandler,
    UserHandler,
    UserPostsHandler,
    UserQuestionsHandler,
)
from async_app.handlers.base import BaseHandler, NotFoundHandler, ProblemMixin
from async_app.handlers.health import HealthHandler, MetricsHandler, ReadyHandler
from async_app.handlers.pages import account as account_pages
from async_app.handlers.pages import auth as auth_pages
from async_app.handlers.pages import bookmarks as bookmark_pages
from async_app.handlers.pages import groups as group_pages
from async_app.handlers.pages import moderation as moderation_pages
from async_app.handlers.pages import people as people_pages
from async_app.handlers.pages import questions as question_pages
from async_app.handlers.pages import search as search_pages
from async_app.handlers.pages import writing as writing_pages
from async_app.handlers.pages import xray as xray_pages
from async_app.handlers.ws import Heartbeat, socket_settings, socket_url
from shared import http, i18n, metrics, xray
from shared.config import Settings
from shared.errors import ForumError
from shared.keys import Keys
from shared.linkpreview import allow_list
from shared.mail import Mailer, deliver_async, holder_name
from shared.notifier import Hub
from shared.ratelimit import rules_from
from shared.redis_counters import AsyncRedisCounters
from shared.revocation import Standings
from shared.storage import outbox
from shared.storage.drivers import CoroutineDatabase
from shared.storage.runners import Services, run_async

access_log = logging.getLogger("tornado.access")
mail_log = logging.getLogger("forum.mail")
# One stylesheet for both apps: shared/static (the Flask app serves the same directory).
STATIC_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shared", "static")
TEMPLATE_DIR = os.path.join(os.path.dirname(__file__), "templates")


class FileHandler(ProblemMixin, tornado.web.StaticFileHandler):
    """Static files and uploaded media; ``nosniff`` so an upload is never run as another type."""

    label = "/static/{path}"

    def set_extra_headers(self, path: str) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")


class MediaHandler(FileHandler):
    label = "/media/{path}"


class HeadersTooLargeHandler(BaseHandler):
    """What a request with header fields over ``http.MAX_HEADER_BYTES`` gets instead of its route: 431."""

    async def prepare(self) -> None:
        raise http.headers_too_large()


def api(template: str, handler: type[ApiHandler], name: str) -> URLSpec:
    """The URLSpec of a path template from ``shared.routes``: ``/posts/{post_id}`` → ``/api/v1/posts/(\\d+)``.

    The full template is the handler's ``label``: its key into the route table, and its metrics label.
    """
    label = http.BASE + template
    return url(re.sub(r"{\w+}", r"(\\d+)", label) + "$", handler, {"label": label}, name=name)


def urls(settings: Settings) -> list[URLSpec]:
    """Every URL the app serves, by name (``app.reverse_url("post", 7)`` → ``/api/v1/posts/7``)."""
    return [
        url(r"/healthz$", HealthHandler, {"label": "/healthz"}, name="healthz"),
        url(r"/readyz$", ReadyHandler, {"label": "/readyz"}, name="readyz"),
        url(r"/metrics$", MetricsHandler, {"label": "/metrics"}, name="metrics"),
        socket_url(),

        api("/auth/register", RegisterHandler, "register"),
        api("/auth/login", LoginHandler, "login"),

        api("/me", MeHandler, "me"),
        api("/me/avatar", AvatarHandler, "avatar"),
        api("/me/password", PasswordHandler, "password"),

        api("/users/{user_id}", UserHandler, "user"),
        api("/users/{user_id}/posts", UserPostsHandler, "user_posts"),
        api("/users/{user_id}/questions", UserQuestionsHandler, "user_questions"),
        api("/users/{user_id}/answers", UserAnswersHandler, "user_answers"),
        api("/users/{user_id}/groups", UserGroupsHandler, "user_groups"),

        api("/groups", GroupsHandler, "groups"),
        api("/groups/{group_id}", GroupHandler, "group"),
        api("/groups/{group_id}/cover", CoverHandler, "cover"),
        api("/groups/{group_id}/applications", ApplicationsHandler, "applications"),
        api("/groups/{group_id}/applications/{application_id}", ApplicationHandler, "application"),
        api("/groups/{group_id}/members", MembersHandler, "members"),
        api("/groups/{group_id}/members/me", MembershipHandler, "membership"),

        api("/groups/{group_id}/posts", GroupPostsHandler, "group_posts"),
        api("/posts/{post_id}", PostHandler, "post"),
        api("/posts/{post_id}/like", PostLikeHandler, "post_like"),

        api("/posts/{post_id}/comments", CommentsHandler, "comments"),
        api("/comments/{comment_id}", CommentHandler, "comment"),
        api("/comments/{comment_id}/replies", CommentRepliesHandler, "comment_replies"),
        api("/comments/{comment_id}/like", CommentLikeHandler, "comment_like"),

        api("/questions", QuestionsHandler, "questions"),
        api("/questions/{question_id}", QuestionHandler, "question"),
        api("/questions/{question_id}/answers", AnswersHandler, "answers"),
        api("/answers/{answer_id}", AnswerHandler, "answer"),
        api("/answers/{answer_id}/replies", AnswerRepliesHandler, "answer_replies"),
        api("/answers/{answer_id}/like", AnswerLikeHandler, "answer_like"),

        api("/notifications", NotificationsHandler, "notifications"),
        api("/notifications/unread-count", UnreadCountHandler, "unread_count"),
        api("/notifications/read", MarkReadHandler, "mark_read"),
        events_url(),   # text/event-stream: its own URLSpec, shared with SocketApplication

        api("/guestbook", GuestbookHandler, "guestbook"),
        api("/link-preview", LinkPreviewHandler, "link_preview"),
        api("/openapi.json", OpenApiHandler, "openapi"),
        api("/search", SearchHandler, "search"),

        # Moderation and administration (API.md §6).
        api("/users/{user_id}/role", RoleHandler, "user_role"),
        api("/groups/{group_id}/moderators/{user_id}", GroupModeratorHandler, "group_moderator"),
        api("/reports", ReportsHandler, "reports"),
        api("/reports/{report_id}", ReportHandler, "report"),
        api("/posts/{post_id}/hide", HidePostHandler, "hide_post"),
        api("/posts/{post_id}/restore", RestorePostHandler, "restore_post"),
        api("/comments/{comment_id}/hide", HideCommentHandler, "hide_comment"),
        api("/comments/{comment_id}/restore", RestoreCommentHandler, "restore_comment"),
        api("/questions/{question_id}/hide", HideQuestionHandler, "hide_question"),
        api("/questions/{question_id}/restore", RestoreQuestionHandler, "restore_question"),
        api("/answers/{answer_id}/hide", HideAnswerHandler, "hide_answer"),
        api("/answers/{answer_id}/restore", RestoreAnswerHandler, "restore_answer"),
        api("/users/{user_id}/ban", UserBanHandler, "user_ban"),
        api("/bans", SiteBansHandler, "site_bans"),
        api("/groups/{group_id}/bans", GroupBansHandler, "group_bans"),
        api("/groups/{group_id}/bans/{user_id}", GroupBanHandler, "group_ban"),
        api("/audit-log", AuditLogHandler, "audit_log"),
        api("/me/export", ExportHandler, "export"),
        api("/admin/stats", StatsHandler, "admin_stats"),

        # E-mail and watching (API.md §9)
        api("/auth/verify-email", VerifyEmailHandler, "verify_email"),
        api("/auth/resend-verification", ResendVerificationHandler, "resend_verification"),
        api("/auth/password-reset", PasswordResetHandler, "password_reset"),
        api("/auth/password-reset/confirm", PasswordResetConfirmHandler, "password_reset_confirm"),
        api("/me/preferences", PreferencesHandler, "preferences"),
        api("/posts/{post_id}/watch", PostWatchHandler, "post_watch"),
        api("/questions/{question_id}/watch", QuestionWatchHandler, "question_watch"),
        api("/email/unsubscribe", UnsubscribeHandler, "unsubscribe"),

        # Writing and reading (API.md §10)
        api("/posts/{post_id}/revisions", PostRevisionsHandler, "post_revisions"),
        api("/comments/{comment_id}/revisions", CommentRevisionsHandler, "comment_revisions"),
        api("/questions/{question_id}/revisions", QuestionRevisionsHandler, "question_revisions"),
        api("/answers/{answer_id}/revisions", AnswerRevisionsHandler, "answer_revisions"),
        api("/questions/{question_id}/accepted-answer", AcceptedAnswerHandler, "accepted_answer"),
        api("/answers/{answer_id}/vote", AnswerVoteHandler, "answer_vote"),
        api("/uploads", UploadsHandler, "uploads"),
        api("/markdown", MarkdownHandler, "markdown"),

        # Bookmarks and unread (API.md §10)
        api("/posts/{post_id}/bookmark", PostBookmarkHandler, "post_bookmark"),
        api("/questions/{question_id}/bookmark", QuestionBookmarkHandler, "question_bookmark"),
        api("/me/bookmarks", BookmarksHandler, "bookmarks"),

        # The HTML pages (API.md §5), like demos/blog: one handler per page, templates in templates/.
        url(r"/$", group_pages.HomePage, name="home"),
        url(r"/login$", auth_pages.LoginPage, name="login_page"),
        url(r"/register$", auth_pages.RegisterPage, name="register_page"),
        url(r"/logout$", auth_pages.LogoutPage, name="logout_page"),
        url(r"/groups/new$", group_pages.NewGroupPage, name="new_group_page"),
        url(r"/groups/(\d+)$", group_pages.GroupPage, name="group_page"),
        url(r"/groups/(\d+)/applications/(\d+)$", group_pages.DecisionPage, name="decision_page"),
        url(r"/groups$", group_pages.GroupsPage, name="groups_page"),
        url(r"/groups/(\d+)/members$", group_pages.MembersPage, name="members_page"),
        url(r"/groups/(\d+)/leave$", group_pages.LeavePage, name="leave_page"),
        url(r"/groups/(\d+)/settings$", group_pages.GroupSettingsPage, name="group_settings_page"),
        url(r"/groups/(\d+)/cover$", group_pages.GroupCoverPage, name="group_cover_page"),
        url(r"/posts/(\d+)/(pin|unpin|lock|unlock)$", group_pages.PostFlagPage, name="post_flag_page"),
        url(r"/groups/(\d+)/posts/new$", group_pages.NewPostPage, name="new_post_page"),
        url(r"/posts/(\d+)$", group_pages.PostPage, name="post_page"),
        url(r"/(posts|comments|answers)/(\d+)/(like|unlike)$", group_pages.LikePage, name="like_page"),
        url(r"/questions$", question_pages.QuestionsPage, name="questions_page"),
        url(r"/questions/new$", question_pages.NewQuestionPage, name="new_question_page"),
        url(r"/questions/(\d+)$", question_pages.QuestionPage, name="question_page"),
        url(r"/users/(\d+)$", people_pages.UserPage, name="user_page"),
        url(r"/users/(\d+)/(posts|questions|groups)$", people_pages.UserActivityPage, name="user_activity_page"),
        url(r"/users/by-name/([^/]+)$", people_pages.UserByNamePage, name="user_by_name_page"),
        url(r"/notifications$", people_pages.NotificationsPage, name="notifications_page"),
        url(r"/guestbook$", people_pages.GuestbookPage, name="guestbook_page"),
        # Moderation and administration (API.md §12).
        url(r"/moderation$", moderation_pages.ModerationPage, name="moderation_page"),
        url(r"/admin$", moderation_pages.AdminPage, name="admin_page"),
        url(r"/reports$", moderation_pages.NewReportPage, name="new_report_page"),
        url(r"/reports/(\d+)$", moderation_pages.ResolveReportPage, name="resolve_report_page"),
        url(r"/(comments|answers)/(\d+)$", moderation_pages.ItemPage, name="item_page"),
        url(r"/(posts|comments|questions|answers)/(\d+)/(hide|restore|delete)$", moderation_pages.ContentActionPage,
            name="content_action_page"),
        url(r"/users/(\d+)/ban$", moderation_pages.UserBanPage, name="user_ban_page"),
        url(r"/users/(\d+)/unban$", moderation_pages.UserUnbanPage, name="user_unban_page"),
        url(r"/users/(\d+)/role$", moderation_pages.UserRolePage, name="user_role_page"),
        url(r"/groups/(\d+)/moderators/(\d+)/(add|remove)$", moderation_pages.GroupModeratorPage,
            name="group_moderator_page"),
        url(r"/groups/(\d+)/bans$", moderation_pages.GroupBanPage, name="group_ban_page"),
        url(r"/groups/(\d+)/bans/(\d+)/lift$", moderation_pages.GroupUnbanPage, name="group_unban_page"),
        *(xray_pages.urls() if settings.debug else []),   # the X-ray pages exist only in debug
        url(r"/search$", search_pages.SearchPage, name="search_page"),
        url(r"/reset-password$", account_pages.ResetPasswordPage, name="reset_password_page"),
        url(r"/verify-email$", account_pages.VerifyEmailPage, name="verify_email_page"),
        url(r"/verify-email/resend$", account_pages.ResendVerificationPage, name="resend_verification_page"),
        url(r"/settings$", account_pages.SettingsPage, name="settings_page"),
        url(r"/settings/(profile|email|notifications|language)$", account_pages.SettingsFormPage,
            name="settings_form_page"),
        url(r"/settings/avatar$", account_pages.AvatarPage, name="avatar_page"),
        url(r"/settings/password$", account_pages.PasswordPage, name="password_page"),
        url(r"/settings/export$", account_pages.ExportPage, name="export_page"),
        url(r"/settings/delete$", account_pages.DeleteAccountPage, name="delete_account_page"),
        url(r"/language$", account_pages.LanguagePage, name="language_page"),
        url(r"/(posts|questions)/(\d+)/(watch|unwatch)$", account_pages.WatchPage, name="watch_page"),
        # Bookmarks (API.md §10, §12).
        url(r"/bookmarks$", bookmark_pages.BookmarksPage, name="bookmarks_page"),
        url(r"/(posts|questions)/(\d+)/(bookmark|unbookmark)$", bookmark_pages.BookmarkButtonPage,
            name="bookmark_button_page"),
        # Writing and reading (API.md §10).
        url(r"/(posts|comments|questions|answers)/(\d+)/edit$", writing_pages.EditPage, name="edit_page"),
        url(r"/(posts|comments|questions|answers)/(\d+)/history$", writing_pages.HistoryPage, name="history_page"),
        url(r"/answers/(\d+)/(up|down|unvote)$", writing_pages.VotePage, name="vote_page"),
        url(r"/questions/(\d+)/(accept|unaccept)$", writing_pages.AcceptPage, name="accept_page"),
        url(r"/editor/upload$", writing_pages.EditorUploadPage, name="editor_upload_page"),
        url(r"/editor/preview$", writing_pages.EditorPreviewPage, name="editor_preview_page"),

        url(f"/{settings.media_url.strip('/')}/(.*)", MediaHandler, {"path": settings.media_dir}, name="media"),
    ]


class ForumApplication(tornado.web.Application):
    def __init__(self, settings: Settings, db: CoroutineDatabase) -> None:
        self.forum_settings = settings
        self.db = db
        self.http_client = PreviewClient(allow_list(settings))
        self.hub = Hub(settings)   # this process's WebSockets; started by the server (Redis, if set)
        # Who may still use their tokens, remembered (shared.revocation); the hub hears revocations
        # from other processes, and the server says whether to trust it.
        self.standings = self.hub.standings = Standings()
        self.heartbeat = Heartbeat(self.hub, settings.ws_ping_interval)   # their pings
        # What the runner performs effects against: this app's keys, the sockets, the rate-limit
        # counters (Redis when set, else the database) and the link-preview fetcher.
        self.services = Services(keys=Keys.from_settings(settings), publish=self.hub.publish,
                                 counters=AsyncRedisCounters(settings) if settings.redis_url else None,
                                 fetch=self.http_client.fetch, rules=rules_from(settings), standings=self.standings)
        self.in_flight = 0   # requests started and not finished: what a graceful stop waits for
        # The one catalog (shared/translations/), for the templates' _() in each page's language.
        tornado.locale.load_gettext_translations(str(i18n.CATALOG_DIR), i18n.DOMAIN)
        # The outbox's sender (shared.mail): a pass every mail_interval seconds, started by the server.
        # Every process runs one; the lease in the database lets one deliver at a time.
        self.mailer, self.mail_holder = Mailer(settings), holder_name()
        self.mail_sender = tornado.ioloop.PeriodicCallback(self.deliver_mail, settings.mail_interval * 1000)
        super().__init__(
            urls(settings),
            default_handler_class=NotFoundHandler,
            static_path=STATIC_DIR,
            static_url_prefix="/static/",
            static_handler_class=FileHandler,
            serve_traceback=False,
            # HTML pages: templates and UIModules, the login page, XSRF tokens on every form
            # (API handlers skip the check: they never read cookies).
            template_path=TEMPLATE_DIR,
            ui_modules=uimodules,
            login_url="/login",
            xsrf_cookies=True,
            xsrf_cookie_kwargs={"samesite": "Lax"},
            **socket_settings(settings),
        )

    def find_handler(self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any) -> tornado.web._HandlerDelegate:
        """The route's handler, unless the header fields are over the limit: then a 431 for any path.

        The server reads heads up to ``http.HEADER_READ_LIMIT`` (``async_app/server.py``), so this
        answer, not a closed connection, is what an over-long header gets.
        """
        xray.begin(request.method or "", request.path, xray.request_id(request.headers.get("X-Request-Id")),
                   "tornado", self.forum_settings.debug)   # the request's trace: Server-Timing, X-ray
        try:
            http.check_headers(request.headers.get_all())
        except ForumError:
            return self.get_handler_delegate(request, HeadersTooLargeHandler)
        return super().find_handler(request, **kwargs)

    def log_request(self, handler: tornado.web.RequestHandler) -> None:
        """Called once per finished request: count it for /metrics and write the access line."""
        status = handler.get_status()
        trace = xray.current()
        if trace is not None:
            xray.finish(trace, status)
        seconds = handler.request.request_time()
        metrics.observe(getattr(handler, "label", metrics.UNMATCHED), handler.request.method or "", status, seconds)
        level = logging.INFO if status < 400 else logging.WARNING if status < 500 else logging.ERROR
        if access_log.isEnabledFor(level):   # the address (proxies parsed) only for a line that is written
            address = handler.client_address if isinstance(handler, BaseHandler) else handler.request.remote_ip
            access_log.log(level, "%d %s %s (%s) %.2fms", status, handler.request.method, handler.request.uri,
                           address, 1000 * seconds)

    async def deliver_mail(self) -> None:
        """One pass of the sender (the SMTP conversation runs in the executor: see shared.mail)."""
        try:
            await deliver_async(self.db, self.mailer, self.mail_holder, self.forum_settings, self.services)
        except Exception:   # the database or the mail server may be down: the next pass tries again
            mail_log.exception("mail delivery pass failed")

    def start_mail(self) -> None:
        mail_log.info("%s", self.mailer.describe())
        self.mail_sender.start()

    async def close(self) -> None:
        """Release what the application made (the pool is the server's: it closes it last)."""
        if self.mail_sender.is_running():
            self.mail_sender.stop()
            try:
                await run_async(self.db, outbox.release_lease(self.mail_holder))
            except Exception:
                mail_log.warning("could not hand back the mail sender's lease; it runs out by itself")
        self.http_client.close()
        if self.services.counters is not None:
            await self.services.counters.close()
        await self.hub.close()


def make_app(settings: Settings, db: CoroutineDatabase) -> ForumApplication:
    return ForumApplication(settings, db)
