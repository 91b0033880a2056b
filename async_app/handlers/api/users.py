"""``/users/{user_id}``: another user's profile, and what they wrote and joined."""

from __future__ import annotations

from async_app.handlers.api.base import ApiHandler
from shared.storage import answers, groups, posts, questions, users


class UserHandler(ApiHandler):
    async def get(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(users.get_user(viewer, int(user_id))))


class UserPostsHandler(ApiHandler):
    async def get(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(posts.list_user_posts(viewer, int(user_id), self.query())))


class UserQuestionsHandler(ApiHandler):
    async def get(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(questions.list_user_questions(viewer, int(user_id), self.query())))


class UserAnswersHandler(ApiHandler):
    async def get(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(answers.list_user_answers(viewer, int(user_id), self.query())))


class UserGroupsHandler(ApiHandler):
    async def get(self, user_id: str) -> None:
        viewer = await self.admit()
        self.answer(await self.run(groups.list_user_groups(viewer, int(user_id), self.query())))
