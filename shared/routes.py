"""The public routes under /api/v1, once: the agreement between the contract, both apps and OpenAPI.

Each app declares its own routes the way its framework wants (Tornado ``URLSpec``s, Flask
blueprints); a test checks that both declare exactly these, and ``shared.openapi`` documents them.

An operation is called as ``op(viewer, *path_ids, [body | query])``:
``body`` is the decoded JSON value (routes with ``takes="body"``), ``query`` the query string as a
``Mapping[str, str]`` (``takes="query"``); upload routes (``takes="upload"``) get
``(viewer, *path_ids, data: bytes, media_dir: str)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Who = Literal["anyone", "user"]
Takes = Literal["none", "body", "query", "upload"]


@dataclass(frozen=True, slots=True)
class Route:
    method: str
    path: str            # OpenAPI style: /groups/{group_id}/posts
    op: str              # "module:function" under shared.storage
    who: Who = "anyone"
    takes: Takes = "none"
    status: int = 200    # success status; 204 answers no body
    summary: str = ""


R = Route
ROUTES: tuple[Route, ...] = (
    R("POST", "/auth/register", "users:register", takes="body", status=201, summary="Create an account"),
    R("POST", "/auth/login", "users:login", takes="body", summary="Exchange credentials for a token"),
    R("GET", "/me", "users:get_me", "user", summary="The caller, with email"),
    R("PATCH", "/me", "users:update_me", "user", "body", summary="Change nickname or bio"),
    R("PUT", "/me/avatar", "users:set_avatar", "user", "upload", summary="Upload an avatar"),
    R("POST", "/me/password", "users:change_password", "user", "body", 204, "Change password; older tokens stop working"),
    R("GET", "/users/{user_id}", "users:get_user", summary="A user"),
    R("GET", "/users/{user_id}/posts", "posts:list_user_posts", takes="query", summary="A user's posts"),
    R("GET", "/users/{user_id}/questions", "questions:list_user_questions", takes="query", summary="A user's questions"),
    R("GET", "/users/{user_id}/answers", "answers:list_user_answers", takes="query", summary="A user's answers"),
    R("GET", "/users/{user_id}/groups", "groups:list_user_groups", takes="query", summary="Groups a user belongs to"),
    R("GET", "/groups", "groups:list_groups", takes="query", summary="Groups, newest first"),
    R("POST", "/groups", "groups:create_group", "user", "body", 201, "Create a group"),
    R("GET", "/groups/{group_id}", "groups:get_group", summary="A group"),
    R("PATCH", "/groups/{group_id}", "groups:update_group", "user", "body", summary="Edit a group (owner)"),
    R("PUT", "/groups/{group_id}/cover", "groups:set_cover", "user", "upload", summary="Upload a cover (owner)"),
    R("POST", "/groups/{group_id}/applications", "groups:apply", "user", "body", 201, "Apply to join"),
    R("GET", "/groups/{group_id}/applications", "groups:list_applications", "user", "query", summary="Applications (owner)"),
    R("PATCH", "/groups/{group_id}/applications/{application_id}", "groups:decide_application", "user", "body",
      summary="Approve or reject (owner)"),
    R("GET", "/groups/{group_id}/members", "groups:list_members", takes="query", summary="Members"),
    R("DELETE", "/groups/{group_id}/members/me", "groups:leave", "user", status=204, summary="Leave a group"),
    R("GET", "/groups/{group_id}/posts", "posts:list_group_posts", takes="query", summary="A group's posts"),
    R("POST", "/groups/{group_id}/posts", "posts:create_post", "user", "body", 201, "Post in a group (member)"),
    R("GET", "/posts/{post_id}", "posts:get_post", summary="A post; counts one view"),
    R("PATCH", "/posts/{post_id}", "posts:update_post", "user", "body", summary="Edit, pin or lock a post"),
    R("DELETE", "/posts/{post_id}", "posts:delete_post", "user", status=204, summary="Delete a post"),
    R("PUT", "/posts/{post_id}/like", "posts:like_post", "user", summary="Like a post"),
    R("DELETE", "/posts/{post_id}/like", "posts:unlike_post", "user", summary="Take a like back"),
    R("GET", "/posts/{post_id}/comments", "comments:list_comments", takes="query", summary="Top-level comments"),
    R("POST", "/posts/{post_id}/comments", "comments:create_comment", "user", "body", 201, "Comment (member)"),
    R("GET", "/comments/{comment_id}/replies", "comments:list_replies", takes="query", summary="Replies"),
    R("DELETE", "/comments/{comment_id}", "comments:delete_comment", "user", status=204, summary="Delete a comment"),
    R("PUT", "/comments/{comment_id}/like", "comments:like_comment", "user", summary="Like a comment"),
    R("DELETE", "/comments/{comment_id}/like", "comments:unlike_comment", "user", summary="Take a like back"),
    R("GET", "/questions", "questions:list_questions", takes="query", summary="Questions"),
    R("POST", "/questions", "questions:create_question", "user", "body", 201, "Ask a question"),
    R("GET", "/questions/{question_id}", "questions:get_question", summary="A question; counts one view"),
    R("PATCH", "/questions/{question_id}", "questions:update_question", "user", "body", summary="Edit a question"),
    R("DELETE", "/questions/{question_id}", "questions:delete_question", "user", status=204, summary="Delete a question"),
    R("GET", "/questions/{question_id}/answers", "answers:list_answers", takes="query", summary="Top-level answers"),
    R("POST", "/questions/{question_id}/answers", "answers:create_answer", "user", "body", 201, "Answer"),
    R("GET", "/answers/{answer_id}/replies", "answers:list_replies", takes="query", summary="Replies to an answer"),
    R("DELETE", "/answers/{answer_id}", "answers:delete_answer", "user", status=204, summary="Delete an answer"),
    R("PUT", "/answers/{answer_id}/like", "answers:like_answer", "user", summary="Like an answer"),
    R("DELETE", "/answers/{answer_id}/like", "answers:unlike_answer", "user", summary="Take a like back"),
    R("GET", "/notifications", "notifications:list_notifications", "user", "query", summary="Notifications"),
    R("GET", "/notifications/unread-count", "notifications:unread_count", "user", summary="Unread count"),
    R("POST", "/notifications/read", "notifications:mark_read", "user", "body", 204, "Mark read"),
    R("GET", "/guestbook", "guestbook:list_entries", takes="query", summary="Guestbook, newest first"),
    R("POST", "/guestbook", "guestbook:sign", takes="body", status=201, summary="Sign the guestbook"),
    R("GET", "/link-preview", "linkpreview", "user", "query", summary="Title and Open Graph tags of a page"),
    R("GET", "/openapi.json", "openapi", summary="This document"),
)
