"""Live threads over the WebSocket (API.md §11): a socket that watches a post or a question gets each new
comment or answer as it is made, from whichever process made it."""

from __future__ import annotations

import json

import websocket

from .client import next_of, ok, watching


def test_a_watched_post_gets_its_new_comments_and_replies(api, forum, make_user):
    alice, bob, carol = make_user(), make_user(), make_user()
    group = forum.group(alice)
    forum.join(group, bob)
    post = forum.post(group, alice)
    ws = watching(api, carol, post_id=post["id"])   # carol only reads: no notification would tell her
    try:
        comment = forum.comment(post, bob)
        assert next_of(ws, "comment") == {"type": "comment", "post_id": post["id"], "comment": comment}
        reply = forum.comment(post, alice, parent_id=comment["id"])
        message = next_of(ws, "comment")
        assert message["comment"] == reply and message["comment"]["parent_id"] == comment["id"]
    finally:
        ws.close()


def test_a_watched_question_gets_its_new_answers(api, forum, make_user):
    alice, bob = make_user(), make_user()
    question = forum.question(alice)
    other = forum.question(alice)
    ws = watching(api, alice, question_id=question["id"])
    try:
        forum.answer(other, bob)                       # another thread: not sent
        answer = forum.answer(question, bob)
        assert next_of(ws, "answer") == {"type": "answer", "question_id": question["id"], "answer": answer}
    finally:
        ws.close()


def test_a_message_that_is_no_watch_gets_an_error_and_the_socket_stays(api, forum, make_user):
    alice = make_user()
    post = forum.post(forum.group(alice), alice)
    ws = websocket.create_connection(f"{api.server.notifications_url}?token={alice['token']}", timeout=10)
    try:
        for bad in ("not json", "[]", '{"type": "watch"}', '{"type": "watch", "post_id": "7"}',
                    '{"type": "watch", "post_id": 0}', '{"type": "watch", "topic_id": 7}',
                    '{"type": "watch", "post_id": 7, "question_id": 7}', '{"type": "shout"}'):
            ws.send(bad)
            assert set(next_of(ws, "error")) == {"type", "detail"}, bad
        ws.send(json.dumps({"type": "watch", "post_id": post["id"]}))
        assert next_of(ws, "watching") == {"type": "watching", "post_id": post["id"]}
        ok(forum.api.post(f"/posts/{post['id']}/comments", user=alice, json={"content": "still here"}), 201)
        assert next_of(ws, "comment")["comment"]["content"] == "still here"
    finally:
        ws.close()
