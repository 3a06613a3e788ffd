"""The published deck works from a web server as it does from a file.

GitHub Pages serves build/site/ (`make site`, tools/site.py) over HTTP; the build tests open
build/*.html as a file. Here the very site is served from http://127.0.0.1 (Python's http.server,
on a free port, for these tests only) and opened in the build's Chromium: the deck, its presenter
view (`?view=presenter`, which loads the deck again in an iframe as `?view=next`) and the index page.
Served, the deck must show what it shows from a file — the same slides, notes, fonts and
navigation — and load nothing but itself: no other host, and from its own host only the file itself.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import threading
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import deck
from tools import site


LOCAL = ("data:", "about:", "blob:")
# What the page says of itself once loaded: title, slides, notes, fonts in use, where it is after a key.
STATE = """() => ({
  title: document.title,
  view: document.body.dataset.bespokeView,
  slides: document.querySelectorAll('svg[data-marpit-svg]').length,
  notes: [...document.querySelectorAll('.bespoke-marp-note')].map(n => n.textContent.trim()),
  fonts: [...new Set([...document.fonts].filter(f => f.status === 'loaded').map(f => f.family.replace(/"/g, '')))].sort(),
})"""


@pytest.fixture(scope="session")  # the tests of this module need not run one after the other
def served(tmp_path_factory):
    """(the site's folder, its base URL, the paths the server was asked for)."""
    root = tmp_path_factory.mktemp("site")
    site.build_site(root, "lab/deck")
    asked: list[str] = []

    class Logged(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args) -> None:  # what was asked, not printed
            asked.append(self.path)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Logged, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)  # shutdown() waits a poll
    thread.start()
    yield root, f"http://127.0.0.1:{server.server_address[1]}/", asked
    server.shutdown()
    server.server_close()


def visit(chromium, url: str, frames: int = 1) -> tuple[dict, list[str], list[str]]:
    """Open `url` and go one slide on; return what the page says of itself, every request it made, and
    the location of each of its `frames` (the presenter view has two: itself, and the next slide's
    preview). Each wait is for the event itself (loaded, fonts ready, every frame one slide on), not
    for a quiet network: the page asks for all it loads before `load`. A frame that never moves on is
    left where it is after a few seconds, for the test's assertions to name."""
    page = chromium.new_page(viewport={"width": 1280, "height": 720})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(url, wait_until="load")
        page.wait_for_function(f"window.frames.length === {frames - 1}")
        for frame in page.frames:
            frame.wait_for_load_state("load")
        page.evaluate("document.fonts.ready")
        page.keyboard.press("ArrowRight")
        for slide, frame in enumerate(page.frames, start=2):
            with contextlib.suppress(PlaywrightTimeout):
                frame.wait_for_function(f"location.hash === '#{slide}'", timeout=5_000)
            frame.evaluate("document.fonts.ready")  # a slide is laid out when shown: what it newly needs, loaded
        state = page.evaluate(STATE)
        state["hash"] = page.evaluate("location.hash")
        return state, requests, [frame.url for frame in page.frames]
    finally:
        page.close()


def test_the_deck_served_is_the_deck_from_a_file(chromium, served):
    _, base, asked = served
    from_file, _, _ = visit(chromium, site.BUILD.joinpath(site.HTML_NAME).as_uri())
    asked.clear()
    over_http, requests, _ = visit(chromium, base + site.HTML_NAME)
    assert over_http == from_file
    assert over_http["slides"] == len(deck.load(site.DECK).slides) and over_http["hash"] == "#2"
    assert "Noto Sans JP" in over_http["fonts"], over_http["fonts"]
    remote = [u for u in requests if not u.startswith((base, *LOCAL))]
    assert remote == [], "the served deck loads from elsewhere"
    assert [urlsplit(u).path for u in requests if u.startswith(base)] == ["/" + site.HTML_NAME]
    assert set(asked) <= {"/" + site.HTML_NAME, "/favicon.ico"}, asked


def test_the_presenter_view_served_is_the_presenter_view_from_a_file(chromium, served):
    _, base, _ = served
    from_file, _, file_frames = visit(chromium, site.BUILD.joinpath(site.HTML_NAME).as_uri() + "?view=presenter", 2)
    over_http, requests, frames = visit(chromium, base + site.HTML_NAME + "?view=presenter", 2)
    assert over_http == from_file
    assert over_http["view"] == "presenter"
    slides = deck.load(site.DECK).slides
    assert len(over_http["notes"]) == sum(1 for s in slides if s.notes) > 0
    # The next slide's preview: the deck again, in an iframe from the same server, one slide ahead.
    where = [(urlsplit(f).query, urlsplit(f).fragment) for f in frames]
    assert where == [(urlsplit(f).query, urlsplit(f).fragment) for f in file_frames]
    assert where == [("view=presenter", "2"), ("view=next", "3")]
    remote = [u for u in requests if not u.startswith((base, *LOCAL))]
    assert remote == [], "the served presenter view loads from elsewhere"
    assert {urlsplit(u).path for u in requests if u.startswith(base)} == {"/" + site.HTML_NAME}


def test_the_index_page_links_what_is_served(chromium, served):
    root, base, _ = served  # build_site raised (naming the missing file and `make slides`) if one was missing
    assert sorted(p.name for p in root.iterdir()) == sorted([*site.PUBLISHED, "index.html"])
    page = chromium.new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    try:
        page.goto(base, wait_until="load")
        page.evaluate("document.fonts.ready")
        hrefs = page.evaluate("() => [...document.querySelectorAll('a')].map(a => a.href)")
        assert requests == [base], "the index page loads something"
        # Its text in the deck's embedded font, every character of it: no system font, no boxes.
        assert "Noto Sans JP" in page.evaluate(STATE)["fonts"]
        embedded = {int(code, 16) for code in re.findall(r"U\+([0-9a-f]+)", page.content())}
        assert {c for c in page.inner_text("body") if not c.isspace()} - {chr(c) for c in embedded} == set()
        local = sorted({h.split("?")[0] for h in hrefs if h.startswith(base)})
        assert local == sorted(base + name for name in site.PUBLISHED)
        for url in local:
            response = page.request.get(url)
            assert response.status == 200 and response.body() == site.PUBLISHED[url[len(base):]].read_bytes()
        assert site.colab_url("lab/deck") in hrefs
    finally:
        page.close()
