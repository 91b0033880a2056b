"""The Markdown extensions render, and forty-odd hostile inputs come out harmless (RELIABILITY 36, 52).

What a browser would see is read back with the standard library's HTML parser: no script or style
element, no event handler, no inline style, no script or data URL, no image from another site, and
a task-list box that is only ever a disabled checkbox.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from shared.markdown import MENTION_PATH, mentions, render


class Seen(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML fragment."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def test_tables_strikethrough_and_task_lists_render() -> None:
    html = render("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~\n\n- [x] done\n- [ ] open\n")
    assert "<table>" in html and "<td>1</td>" in html and "<s>gone</s>" in html
    boxes = [attrs for tag, attrs in Seen(html).tags if tag == "input"]
    assert boxes == [{"class": "task-list-item-checkbox", "checked": "checked", "type": "checkbox",
                      "disabled": "disabled"},
                     {"class": "task-list-item-checkbox", "type": "checkbox", "disabled": "disabled"}]


def test_fenced_code_is_highlighted_with_classes_only() -> None:
    html = render("```python\ndef f():\n    return 'x'\n```\n")
    assert '<span class="k">def</span>' in html and "style" not in html
    assert render("```no-such-language\n<b>x</b>\n```\n") == "<pre><code>&lt;b&gt;x&lt;/b&gt;\n</code></pre>\n"


def test_images_only_from_the_forum_itself() -> None:
    html = render("![ok](/media/abc.png) ![no](https://example.org/x.png) ![no](//example.org/x.png)"
                  " ![no](/api/v1/me) ![no](/media/../api/v1/me) ![no](/media/%2e%2e/x) ![no](/media/a/b.png)")
    assert [attrs.get("src") for tag, attrs in Seen(html).tags if tag == "img"] == ["/media/abc.png"] + [None] * 6


HOSTILE = [
    # tables
    "| a |\n|---|\n| <script>alert(1)</script> |",
    "| a |\n|---|\n| <img src=x onerror=alert(1)> |",
    "| [x](javascript:alert(1)) |\n|---|\n| b |",
    "| a | b |\n|---|---|\n| ![x](javascript:alert(1)) | c |",
    '| a |\n|:---|\n| <td style="background:url(javascript:alert(1))"> |',
    "| <svg onload=alert(1)> |\n|---|\n| x |",
    "|a|\n|-|\n|<iframe src=javascript:alert(1)>|",
    # code info strings and code
    "```python onload=alert(1)\nx\n```",
    "```\"><script>alert(1)</script>\nx\n```",
    "```javascript:alert(1)\nx\n```",
    "```html\n<script>alert(1)</script>\n```",
    "```<img src=x onerror=alert(1)>\ncode\n```",
    "~~~ js\" onmouseover=\"alert(1)\nx\n~~~",
    "`<script>alert(1)</script>`",
    "```css\nbody{background:url(javascript:alert(1))}\n```",
    # image URLs
    "![x](javascript:alert(1))",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](https://evil.example/track.png)",
    "![x](//evil.example/track.png)",
    "![x](/\\evil.example/x.png)",
    '![x](/media/x.png" onerror="alert(1))',
    "![x](/media/x.png 'title\" onerror=\"alert(1)')",
    "![x](vbscript:msgbox(1))",
    "![x]( javascript:alert(1) )",
    "[![x](/media/a.png)](javascript:alert(1))",
    # task lists
    "- [x] <script>alert(1)</script>",
    "- [ ] <input type=text name=password>",
    "- [x] [x](javascript:alert(1))",
    '- [ ] <input type="checkbox" onclick="alert(1)">',
    "- [x] ![x](javascript:alert(1))",
    "* [X] <form action=//evil><button>go</button></form>",
    # links and raw HTML
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href='javascript:alert(1)'>x</a>",
    "<style>body{display:none}</style>",
    "<div style=\"position:fixed\">x</div>",
    "<details open ontoggle=alert(1)>",
    "<math><mi xlink:href=\"javascript:alert(1)\">x</mi></math>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<base href=\"//evil.example/\">",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "~~<script>alert(1)</script>~~",
    "https://example.org/<script>alert(1)</script>",
    "<<script>script>alert(1)<</script>/script>",
    # mentions: only [A-Za-z0-9_]{3,32} becomes a link, and nothing else rides on it
    '@alice"onmouseover="alert(1)',
    "@<script>alert(1)</script>",
    "@alice<img src=x onerror=alert(1)>",
    "[@alice](javascript:alert(1))",
    "@../../admin @alice/../x @%2e%2e",
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_comes_out_harmless(source: str) -> None:
    for tag, attrs in Seen(render(source)).tags:
        assert tag not in ("script", "style", "iframe", "object", "embed", "form", "svg", "math", "base", "meta"), tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", (tag, name)
            assert not value.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (tag, name, value)
        if tag == "img" and "src" in attrs:
            assert attrs["src"].startswith("/media/") and ".." not in attrs["src"], attrs
        if tag == "input":
            assert attrs.get("type") == "checkbox" and attrs.get("disabled") == "disabled", attrs


def test_there_are_at_least_forty_hostile_inputs() -> None:
    assert len(HOSTILE) >= 40


def mention_links(html: str) -> list[str]:
    return [attrs["href"] for tag, attrs in Seen(html).tags if tag == "a" and attrs.get("class") == "mention"]


@pytest.mark.parametrize(("source", "linked"), [
    ("hi @alice and @Bob_2, twice @alice", ["alice", "Bob_2", "alice"]),
    ("in code `@alice` and\n\n```\n@bob\n```\n\n    @carol", []),
    ("mail ann@example.org, https://example.org/@ann, [see @dave](https://x.org)", []),
    ("(@alice) '@bob' **@carol** ~~@dave~~", ["alice", "bob", "carol", "dave"]),
    ('@alice"onmouseover="x @ab @' + "a" * 33 + " @x-y", ["alice"]),
])
def test_mentions_link_to_the_users_page_where_they_notify(source: str, linked: list[str]) -> None:
    html = render(source)
    assert mention_links(html) == [MENTION_PATH + name for name in linked]
    # what links is what notifies (in a link's text a mention notifies but cannot be a second link)
    assert {n.lower() for n in mentions(source)} - {"dave"} == {n.lower() for n in linked} - {"dave"}
    for tag, attrs in Seen(html).tags:
        if tag == "a" and attrs.get("class") == "mention":
            assert attrs["rel"] == "nofollow noopener" and set(attrs) == {"href", "class", "rel"}
