"""The home page, groups, their posts, comments and likes."""

from __future__ import annotations

from typing import Any

import tornado.web

from async_app.handlers.pages.base import PageHandler
from shared import pages
from shared.i18n import _l
from shared.storage import comments, groups, page_data, posts
from shared.storage.answers import like_answer, unlike_answer
from shared.storage.comments import like_comment, unlike_comment
from shared.storage.posts import like_post, unlike_post


class HomePage(PageHandler):
    async def get(self) -> None:
        self.render("home.html", title=_l("Home"), **await self.run(page_data.home(self.viewer)))


class NewGroupPage(PageHandler):
    @tornado.web.authenticated
    def get(self) -> None:
        self.render("group_new.html", title=_l("New group"))

    @tornado.web.authenticated
    async def post(self) -> None:
        group, refusal = await self.attempt(groups.create_group(self.viewer, pages.form_body("group", self.form())))
        if refusal:
            self.render("group_new.html", title=_l("New group"), **self.refused(refusal))
        else:
            self.see(self.reverse_url("group_page", group["id"]), "group_created")


class GroupPage(PageHandler):
    async def get(self, group_id: str) -> None:
        page = await self.run(page_data.group_page(self.viewer, int(group_id), self.query()))
        self.render("group.html", title=page["group"]["name"], **page)

    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        """Join an open group, or apply to one that needs the owner's approval."""
        application = await self.run(groups.apply(self.viewer, int(group_id), pages.form_body("application", self.form())))
        self.see(self.reverse_url("group_page", group_id), pages.joined(application))


class GroupsPage(PageHandler):
    async def get(self) -> None:
        self.render("groups.html", title=_l("Groups"), **await self.run(page_data.groups_page(self.viewer, self.query())))


class MembersPage(PageHandler):
    async def get(self, group_id: str) -> None:
        page = await self.run(page_data.members_page(self.viewer, int(group_id), self.query()))
        self.render("members.html", title=_l("Members"), **page)


class LeavePage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        await self.run(groups.leave(self.viewer, int(group_id)))
        self.see(self.reverse_url("group_page", group_id), "left")


class GroupSettingsPage(PageHandler):
    @tornado.web.authenticated
    async def get(self, group_id: str) -> None:
        await self.show(group_id)

    async def show(self, group_id: str, **form: Any) -> None:
        page = await self.run(page_data.group_settings_page(self.viewer, int(group_id), self.query()))
        self.render("group_settings.html", title=_l("Group settings"), **{**page, **form})

    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        """The settings form: ``PATCH /groups/{id}``; a refusal shows the form again with what was typed."""
        change = groups.update_group(self.viewer, int(group_id), pages.form_body("group", self.form()))
        _, refusal = await self.attempt(change)
        if refusal:
            await self.show(group_id, **self.refused(refusal))
        else:
            self.see(self.reverse_url("group_page", group_id), "group_saved")


class GroupCoverPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        """The cover form (multipart, field ``cover``): ``PUT /groups/{id}/cover``."""
        sent = self.request.files.get("cover")
        data = sent[0]["body"] if sent else b""
        await self.run(groups.set_cover(self.viewer, int(group_id), data, self.application.forum_settings.media_dir))
        self.see(self.reverse_url("group_settings_page", group_id), "cover")


class PostFlagPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, post_id: str, action: str) -> None:
        """Pin, unpin, lock or unlock a post (its group's owner)."""
        await self.run(page_data.flag_post(self.viewer, int(post_id), action))
        self.see(self.reverse_url("post_page", post_id), pages.DONE_AFTER[action])


class DecisionPage(PageHandler):
    @tornado.web.authenticated
    async def post(self, group_id: str, application_id: str) -> None:
        """The owner approves or rejects an application."""
        decided = await self.run(groups.decide_application(self.viewer, int(group_id), int(application_id),
                                                           pages.form_body("decision", self.form())))
        self.see(self.reverse_url("group_page", group_id), pages.DONE_AFTER[decided["status"]])


class NewPostPage(PageHandler):
    @tornado.web.authenticated
    async def get(self, group_id: str) -> None:
        group = await self.run(groups.get_group(self.viewer, int(group_id)))
        self.render("post_new.html", title=_l("New post"), group=group)

    @tornado.web.authenticated
    async def post(self, group_id: str) -> None:
        group = await self.run(groups.get_group(self.viewer, int(group_id)))
        create = posts.create_post(self.viewer, int(group_id), pages.form_body("post", self.form()))
        post, refusal = await self.attempt(self.throttled("/groups/{group_id}/posts", create))
        if refusal:
            self.render("post_new.html", title=_l("New post"), group=group, **self.refused(refusal))
        else:
            self.see(self.reverse_url("post_page", post["id"]), "posted")


class PostPage(PageHandler):
    async def get(self, post_id: str) -> None:
        await self.show(post_id)

    async def show(self, post_id: str, **form: Any) -> None:
        page = await self.run(page_data.post_page(self.viewer, int(post_id), self.query()))
        self.render("post.html", title=page["post"]["title"], **page, **form)

    @tornado.web.authenticated
    async def post(self, post_id: str) -> None:
        """A comment, or a reply when the form names its ``parent_id``; a refusal shows the page again."""
        create = comments.create_comment(self.viewer, int(post_id), pages.form_body("reply", self.form()))
        comment, refusal = await self.attempt(self.throttled("/posts/{post_id}/comments", create))
        if refusal:
            await self.show(post_id, **self.refused(refusal))
        else:
            self.see(f"{self.reverse_url('post_page', post_id)}#comment-{comment['id']}", "commented")


# What each like button changes, by the URL's words: /posts/7/like, /comments/9/unlike ...
LIKES = {
    ("posts", "like"): like_post, ("posts", "unlike"): unlike_post,
    ("comments", "like"): like_comment, ("comments", "unlike"): unlike_comment,
    ("answers", "like"): like_answer, ("answers", "unlike"): unlike_answer,
}


class LikePage(PageHandler):
    @tornado.web.authenticated
    async def post(self, kind: str, item_id: str, action: str) -> None:
        await self.run(LIKES[kind, action](self.viewer, int(item_id)))
        self.back("/")
