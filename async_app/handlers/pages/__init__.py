"""The server-rendered HTML pages (API.md §5), like Tornado's ``demos/blog``: one handler per page."""
