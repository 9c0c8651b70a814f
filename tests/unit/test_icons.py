"""bookbuild.icons draws each icon a page shows from the theme's own Font Awesome, and says when it cannot."""

from __future__ import annotations

import logging

from bookbuild.icons import fontawesome_icons, fontawesome_script, icon_css


class Recorder(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def test_an_icon_the_theme_lacks_is_a_build_warning_and_the_others_are_drawn():
    icons = fontawesome_icons(fontawesome_script().read_text(encoding="utf-8"))
    assert ("solid", "xmark") in icons, "the theme's Font Awesome has no xmark: its script's format changed"
    recorder = Recorder()
    logger = logging.getLogger("sphinx.bookbuild.icons")
    logger.addHandler(recorder)
    try:
        css = icon_css(icons, {("solid", "xmark"), ("solid", "no-such-icon")})
    finally:
        logger.removeHandler(recorder)
    assert ".fa-solid.fa-xmark" in css
    assert "no-such-icon" not in css
    assert any("solid no-such-icon" in m for m in recorder.messages), recorder.messages
