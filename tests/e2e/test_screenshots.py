"""A test run leaves the tree clean: browser-test screenshots go to a git-ignored folder, and replace the
committed set for reviewers only when CODEAUDIT_SCREENSHOTS=refresh asks. Checked with a stand-in page, so
no browser is needed."""
from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tests.e2e import test_browser
from tests.e2e.test_browser import LAST_RUN_SCREENSHOTS, REFRESH_VARIABLE, screenshot, screenshot_folder
from tests.repo_files import REPO, repo_files


class StandInPage:
    """What `screenshot` asks of a Playwright page: the main block's height, the window size, a PNG."""

    def __init__(self) -> None:
        self.viewports: list[dict[str, int]] = []

    def evaluate(self, _script: str) -> int:
        return 500

    def set_viewport_size(self, size: dict[str, int]) -> None:
        self.viewports.append(size)

    def wait_for_timeout(self, _ms: int) -> None:
        pass

    def screenshot(self, path: str) -> None:
        Image.linear_gradient("L").resize((1400, 540)).convert("RGB").save(path)


def test_by_default_screenshots_go_to_a_folder_git_ignores(monkeypatch):
    monkeypatch.delenv(REFRESH_VARIABLE, raising=False)
    assert screenshot_folder() == LAST_RUN_SCREENSHOTS
    page = StandInPage()
    path = screenshot(page, "screenshot-probe")
    try:
        assert path == LAST_RUN_SCREENSHOTS / "screenshot-probe.png" and path.exists()
        listed = repo_files()
        assert path.relative_to(REPO).as_posix() not in listed  # git would not see it: the tree stays clean
        assert any(f.startswith("tests/e2e/screenshots/") for f in listed)  # the committed set is still there
        with Image.open(path) as shot:  # as the browser took it: the palette is only for the committed set
            assert shot.mode == "RGB" and shot.size == (1400, 540)
        assert page.viewports == [{"width": 1400, "height": 540}, {"width": 1400, "height": 1000}]
    finally:
        path.unlink()


def test_refresh_writes_the_committed_set(monkeypatch, tmp_path: Path):
    committed = tmp_path / "screenshots"
    monkeypatch.setattr(test_browser, "SCREENSHOTS", committed)  # the real committed folder stays as it is
    monkeypatch.setattr(test_browser, "LAST_RUN_SCREENSHOTS", tmp_path / "last-run")
    monkeypatch.setenv(REFRESH_VARIABLE, "refresh")
    assert screenshot(StandInPage(), "sign-in") == committed / "sign-in.png" and (committed / "sign-in.png").exists()
    with Image.open(committed / "sign-in.png") as shot:  # a palette of 64 colours keeps the committed files small
        assert shot.mode == "P" and len(shot.getcolors()) <= 64 and shot.size == (1400, 540)
    assert not (tmp_path / "last-run").exists()


@pytest.mark.parametrize("value", ["yes", "Refresh", "1"])
def test_an_unknown_value_fails_instead_of_guessing(monkeypatch, value):
    monkeypatch.setenv(REFRESH_VARIABLE, value)
    with pytest.raises(pytest.fail.Exception, match=f"{REFRESH_VARIABLE}='{value}' is not understood: set it to 'refresh'"):
        screenshot_folder()
