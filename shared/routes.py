"""The public routes under /api/v1, once: the agreement between the contract, both apps and OpenAPI.

Each app declares its own routes the way its framework wants (Tornado ``URLSpec``s, Flask
blueprints); tests check that both declare exactly these and that each handler and view runs the
operation its route names (``tests/test_route_table.py``). ``shared.openapi`` writes the document
from this table alone.

A route names its models explicitly: ``body`` is the pydantic model its JSON body must match (the
operation validates with it: ``parse(users.Register, body)``), ``answer`` the resource its success
body is (a ``TypedDict`` of ``shared.shapes``; ``Page[Post]`` for a list, None for 204).

An operation is called as ``op(viewer, *path_ids, [body | query])``: ``body`` is the decoded JSON
value (routes with a ``body`` model), ``query`` the query string as a ``Mapping[str, str]``
(``takes="query"``); upload routes (``takes="upload"``) get
``(viewer, *path_ids, data: bytes, media_dir: str)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from shared.shapes import (
    Answer,
    Application,
    AuditEntry,
    Ban,
    Comment,
    Count,
    Export,
    Group,
    GuestbookEntry,
    Like,
    LinkPreview,
    Me,
    Member,
    Notification,
    Page,
    Post,
    Preferences,
    Question,
    Report,
    Revision,
    SearchResult,
    Stats,
    Status,
    Token,
    User,
)
from shared.storage import (
    accounts,
    bans,
    groups,
    guestbook,
    moderation,
    notifications,
    posts,
    questions,
    threads,
    users,
    verification,
    watching,
)
from shared.validation import Body

Who = Literal["anyone", "user"]
Takes = Literal["none", "query", "upload"]   # besides a JSON body, which ``body`` names
Document = dict[str, Any]                    # the OpenAPI document: any JSON object


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str            # OpenAPI style: /groups/{group_id}/posts
    op: str              # "module:function" under shared.storage (or shared: linkpreview, openapi)
    who: Who = "anyone"
    takes: Takes = "none"
    status: int = 200    # success status; 204 answers no body
    body: type[Body] | None = None    # the JSON body's model
    answer: Any = None                # the success body's type; None with 204
    summary: str = ""


R = Route
ROUTES: tuple[Route, ...] = (
    R("POST", "/auth/register", "users:register", status=201,
      body=users.Register, answer=User, summary="Create an account"),
    R("POST", "/auth/login", "users:login",
      body=users.Login, answer=Token, summary="Exchange credentials for a token"),
    R("GET", "/me", "users:get_me", "user", answer=Me, summary="The caller, with email"),
    R("PATCH", "/me", "users:update_me", "user",
      body=users.UpdateMe, answer=Me, summary="Change nickname or bio"),
    R("PUT", "/me/avatar", "users:set_avatar", "user", takes="upload", answer=Me, summary="Upload an avatar"),
    R("POST", "/me/password", "users:change_password", "user", status=204,
      body=users.ChangePassword, summary="Change password; older tokens stop working"),
    R("GET", "/users/{user_id}", "users:get_user", answer=User, summary="A user"),
    R("GET", "/users/{user_id}/posts", "posts:list_user_posts", takes="query",
      answer=Page[Post], summary="A user's posts"),
    R("GET", "/users/{user_id}/questions", "questions:list_user_questions", takes="query",
      answer=Page[Question], summary="A user's questions"),
    R("GET", "/users/{user_id}/answers", "answers:list_user_answers", takes="query",
      answer=Page[Answer], summary="A user's answers"),
    R("GET", "/users/{user_id}/groups", "groups:list_user_groups", takes="query",
      answer=Page[Group], summary="Groups a user belongs to"),
    R("GET", "/groups", "groups:list_groups", takes="query",
      answer=Page[Group], summary="Groups, newest first"),
    R("POST", "/groups", "groups:create_group", "user", status=201,
      body=groups.NewGroup, answer=Group, summary="Create a group"),
    R("GET", "/groups/{group_id}", "groups:get_group", answer=Group, summary="A group"),
    R("PATCH", "/groups/{group_id}", "groups:update_group", "user",
      body=groups.GroupChanges, answer=Group, summary="Edit a group (owner)"),
    R("PUT", "/groups/{group_id}/cover", "groups:set_cover", "user", takes="upload",
      answer=Group, summary="Upload a cover (owner)"),
    R("POST", "/groups/{group_id}/applications", "groups:apply", "user", status=201,
      body=groups.NewApplication, answer=Application, summary="Apply to join"),
    R("GET", "/groups/{group_id}/applications", "groups:list_applications", "user", takes="query",
      answer=Page[Application], summary="Applications (owner)"),
    R("PATCH", "/groups/{group_id}/applications/{application_id}", "groups:decide_application", "user",
      body=groups.Decision, answer=Application, summary="Approve or reject (owner)"),
    R("GET", "/groups/{group_id}/members", "groups:list_members", takes="query",
      answer=Page[Member], summary="Members"),
    R("DELETE", "/groups/{group_id}/members/me", "groups:leave", "user", status=204, summary="Leave a group"),
    R("GET", "/groups/{group_id}/posts", "posts:list_group_posts", takes="query",
      answer=Page[Post], summary="A group's posts"),
    R("POST", "/groups/{group_id}/posts", "posts:create_post", "user", status=201,
      body=posts.NewPost, answer=Post, summary="Post in a group (member)"),
    R("GET", "/posts/{post_id}", "posts:get_post", answer=Post, summary="A post; counts one view"),
    R("PATCH", "/posts/{post_id}", "posts:update_post", "user",
      body=posts.PostEdit, answer=Post, summary="Edit, pin or lock a post"),
    R("DELETE", "/posts/{post_id}", "posts:delete_post", "user", status=204, summary="Delete a post"),
    R("PUT", "/posts/{post_id}/like", "posts:like_post", "user", answer=Like, summary="Like a post"),
    R("DELETE", "/posts/{post_id}/like", "posts:unlike_post", "user",
      answer=Like, summary="Take a like back"),
    R("GET", "/posts/{post_id}/comments", "comments:list_comments", takes="query",
      answer=Page[Comment], summary="Top-level comments"),
    R("POST", "/posts/{post_id}/comments", "comments:create_comment", "user", status=201,
      body=threads.NewReply, answer=Comment, summary="Comment (member)"),
    R("GET", "/comments/{comment_id}/replies", "comments:list_replies", takes="query",
      answer=Page[Comment], summary="Replies"),
    R("DELETE", "/comments/{comment_id}", "comments:delete_comment", "user", status=204,
      summary="Delete a comment"),
    R("PUT", "/comments/{comment_id}/like", "comments:like_comment", "user",
      answer=Like, summary="Like a comment"),
    R("DELETE", "/comments/{comment_id}/like", "comments:unlike_comment", "user",
      answer=Like, summary="Take a like back"),
    R("GET", "/questions", "questions:list_questions", takes="query",
      answer=Page[Question], summary="Questions"),
    R("POST", "/questions", "questions:create_question", "user", status=201,
      body=questions.NewQuestion, answer=Question, summary="Ask a question"),
    R("GET", "/questions/{question_id}", "questions:get_question",
      answer=Question, summary="A question; counts one view"),
    R("PATCH", "/questions/{question_id}", "questions:update_question", "user",
      body=questions.QuestionEdit, answer=Question, summary="Edit a question"),
    R("DELETE", "/questions/{question_id}", "questions:delete_question", "user", status=204,
      summary="Delete a question"),
    R("GET", "/questions/{question_id}/answers", "answers:list_answers", takes="query",
      answer=Page[Answer], summary="Top-level answers"),
    R("POST", "/questions/{question_id}/answers", "answers:create_answer", "user", status=201,
      body=threads.NewReply, answer=Answer, summary="Answer"),
    R("GET", "/answers/{answer_id}/replies", "answers:list_replies", takes="query",
      answer=Page[Answer], summary="Replies to an answer"),
    R("DELETE", "/answers/{answer_id}", "answers:delete_answer", "user", status=204,
      summary="Delete an answer"),
    R("PUT", "/answers/{answer_id}/like", "answers:like_answer", "user",
      answer=Like, summary="Like an answer"),
    R("DELETE", "/answers/{answer_id}/like", "answers:unlike_answer", "user",
      answer=Like, summary="Take a like back"),
    R("GET", "/notifications", "notifications:list_notifications", "user", takes="query",
      answer=Page[Notification], summary="Notifications"),
    R("GET", "/notifications/unread-count", "notifications:unread_count", "user",
      answer=Count, summary="Unread count"),
    R("POST", "/notifications/read", "notifications:mark_read", "user", status=204,
      body=notifications.MarkRead, summary="Mark read"),
    R("GET", "/guestbook", "guestbook:list_entries", takes="query",
      answer=Page[GuestbookEntry], summary="Guestbook, newest first"),
    R("POST", "/guestbook", "guestbook:sign", status=201,
      body=guestbook.Signature, answer=GuestbookEntry, summary="Sign the guestbook"),
    R("GET", "/link-preview", "linkpreview:preview", "user", takes="query",
      answer=LinkPreview, summary="Title and Open Graph tags of a page"),
    R("GET", "/openapi.json", "openapi:document", answer=Document, summary="This document"),
    # -- moderation and administration (API.md §6) --
    R("PUT", "/users/{user_id}/role", "moderation:set_role", "user",
      body=moderation.RoleChange, answer=User, summary="Grant or revoke a site role (admins)"),
    R("PUT", "/groups/{group_id}/moderators/{user_id}", "moderation:add_moderator", "user", status=204,
      summary="Make a member a group moderator (owner)"),
    R("DELETE", "/groups/{group_id}/moderators/{user_id}", "moderation:remove_moderator", "user", status=204,
      summary="A group moderator back to member (owner)"),
    R("POST", "/reports", "moderation:create_report", "user", status=201,
      body=moderation.NewReport, answer=Report, summary="Report content or a user"),
    R("GET", "/reports", "moderation:list_reports", "user", takes="query",
      answer=Page[Report], summary="Reports the caller may act on (moderators)"),
    R("PATCH", "/reports/{report_id}", "moderation:resolve_report", "user",
      body=moderation.ReportDecision, answer=Report, summary="Resolve a report and every open one on its target"),
    R("POST", "/posts/{post_id}/hide", "moderation:hide_post", "user", status=204,
      body=moderation.Hide, summary="Hide a post (moderators)"),
    R("POST", "/posts/{post_id}/restore", "moderation:restore_post", "user", status=204,
      summary="Restore a hidden post (moderators)"),
    R("POST", "/comments/{comment_id}/hide", "moderation:hide_comment", "user", status=204,
      body=moderation.Hide, summary="Hide a comment (moderators)"),
    R("POST", "/comments/{comment_id}/restore", "moderation:restore_comment", "user", status=204,
      summary="Restore a hidden comment (moderators)"),
    R("POST", "/questions/{question_id}/hide", "moderation:hide_question", "user", status=204,
      body=moderation.Hide, summary="Hide a question (site moderators)"),
    R("POST", "/questions/{question_id}/restore", "moderation:restore_question", "user", status=204,
      summary="Restore a hidden question (site moderators)"),
    R("POST", "/answers/{answer_id}/hide", "moderation:hide_answer", "user", status=204,
      body=moderation.Hide, summary="Hide an answer (site moderators)"),
    R("POST", "/answers/{answer_id}/restore", "moderation:restore_answer", "user", status=204,
      summary="Restore a hidden answer (site moderators)"),
    R("POST", "/users/{user_id}/ban", "bans:ban_user", "user", status=204,
      body=bans.NewBan, summary="Ban a user from the site (site moderators)"),
    R("DELETE", "/users/{user_id}/ban", "bans:unban_user", "user", status=204,
      summary="Lift a site ban (site moderators)"),
    R("GET", "/bans", "bans:list_site_bans", "user", takes="query",
      answer=Page[Ban], summary="Site bans in force (site moderators)"),
    R("POST", "/groups/{group_id}/bans", "bans:ban_from_group", "user", status=204,
      body=bans.NewGroupBan, summary="Ban a user from a group (owner, group moderators)"),
    R("GET", "/groups/{group_id}/bans", "bans:list_group_bans", "user", takes="query",
      answer=Page[Ban], summary="A group's bans in force (owner, group moderators)"),
    R("DELETE", "/groups/{group_id}/bans/{user_id}", "bans:unban_from_group", "user", status=204,
      summary="Lift a group ban (owner, group moderators)"),
    R("GET", "/audit-log", "moderation:list_audit_log", "user", takes="query",
      answer=Page[AuditEntry], summary="The audit log (admins; a group's owner with ?group_id=)"),
    R("DELETE", "/me", "accounts:delete_me", "user", status=204,
      body=accounts.DeleteMe, summary="Erase the caller's account (content stays, as deleted user)"),
    R("GET", "/me/export", "accounts:export_me", "user", answer=Export, summary="Everything the caller made and was sent"),
    R("GET", "/admin/stats", "accounts:admin_stats", "user", answer=Stats, summary="Site statistics (admins)"),
    R("GET", "/search", "search:search", takes="query",
      answer=Page[SearchResult], summary="Search posts, comments, questions, answers and groups"),
    # E-mail and watching (API.md §9)
    R("POST", "/auth/verify-email", "verification:verify_email", status=204,
      body=verification.VerifyEmail, summary="Verify an address with the token from its link"),
    R("POST", "/auth/resend-verification", "verification:resend_verification", "user", status=202,
      answer=Status, summary="Send the verification link again"),
    R("POST", "/auth/password-reset", "verification:request_password_reset", status=202,
      body=verification.PasswordResetRequest, answer=Status,
      summary="E-mail a password-reset link (the same answer for any address)"),
    R("POST", "/auth/password-reset/confirm", "verification:confirm_password_reset", status=204,
      body=verification.PasswordReset, summary="Set a new password with the token from its link"),
    R("PATCH", "/me/preferences", "watching:set_preferences", "user",
      body=watching.Preferences, answer=Preferences, summary="How notifications are e-mailed"),
    R("PUT", "/posts/{post_id}/watch", "watching:watch_post", "user", status=204, summary="Watch a post"),
    R("DELETE", "/posts/{post_id}/watch", "watching:unwatch_post", "user", status=204,
      summary="Stop watching a post"),
    R("PUT", "/questions/{question_id}/watch", "watching:watch_question", "user", status=204,
      summary="Watch a question"),
    R("DELETE", "/questions/{question_id}/watch", "watching:unwatch_question", "user", status=204,
      summary="Stop watching a question"),
    R("POST", "/email/unsubscribe", "watching:unsubscribe", takes="query", status=204,
      summary="One-click unsubscribe from notification e-mail (RFC 8058)"),
    # Writing and reading (API.md §10)
    R("PATCH", "/comments/{comment_id}", "comments:edit_comment", "user",
      body=threads.ReplyEdit, answer=Comment, summary="Edit a comment (author); the old text is kept"),
    R("PATCH", "/answers/{answer_id}", "answers:edit_answer", "user",
      body=threads.ReplyEdit, answer=Answer, summary="Edit an answer (author); the old text is kept"),
    R("GET", "/posts/{post_id}/revisions", "revisions:list_post_revisions", takes="query",
      answer=Page[Revision], summary="A post's versions, newest first"),
    R("GET", "/comments/{comment_id}/revisions", "revisions:list_comment_revisions", takes="query",
      answer=Page[Revision], summary="A comment's versions, newest first"),
    R("GET", "/questions/{question_id}/revisions", "revisions:list_question_revisions", takes="query",
      answer=Page[Revision], summary="A question's versions, newest first"),
    R("GET", "/answers/{answer_id}/revisions", "revisions:list_answer_revisions", takes="query",
      answer=Page[Revision], summary="An answer's versions, newest first"),
)
