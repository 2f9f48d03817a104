"""The dashboard page in Debian's headless Chromium (Selenium), served by the real server over real Parquet.

Checks the page loads without console errors, the heat map draws one cell per bin pair, a slider
changes the numbers (to the right ones), a cell click shows its renders, the object selector filters,
and part files written while the page is open appear after a refresh.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.analysis.loading import load
from simulator.dashboard.server import DashboardServer
from test_dashboard_api import write_results

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
    pytest.skip(
        "needs Chromium and chromedriver (Debian packages chromium, chromium-driver; installed by the set-up when root)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

FLAGS = (
    "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --disable-background-networking "
    "--disable-extensions --no-first-run --window-size=1400,1200"
).split()
CELLS = "svg#heatmap rect.cell"


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("dashboard") / "out"
    write_results(output, 96, rows_per_part=32)
    return output


@pytest.fixture(scope="module")
def server(folder: Path) -> Iterator[DashboardServer]:
    server = DashboardServer(folder, port=0)
    server.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = Options()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture()
def page(browser: WebDriver, server: DashboardServer) -> WebDriver:
    """The dashboard freshly loaded, heat map drawn; fails the test on any console error it logs."""
    browser.get(server.url)
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, CELLS))
    yield browser
    errors = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]
    assert not errors, errors


def wait(driver: WebDriver) -> WebDriverWait:
    return WebDriverWait(driver, 15)


def cell_numbers(driver: WebDriver) -> list[tuple[str, str, str]]:
    """(x, y, n) of every heat-map cell, read in one go (the page redraws the map while a test waits)."""
    script = f"return Array.from(document.querySelectorAll('{CELLS}'), c => [c.dataset.x, c.dataset.y, c.dataset.n])"
    return [tuple(cell) for cell in driver.execute_script(script)]


def test_page_loads_without_console_errors(browser: WebDriver, server: DashboardServer) -> None:
    browser.get(server.url)
    wait(browser).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#objects tbody tr"))
    assert browser.title == "robustsim dashboard"
    assert "dashboard-test" in browser.find_element(By.ID, "experiment").text
    assert browser.get_log("browser") == []


def test_heatmap_has_one_cell_per_pair_of_bins(page: WebDriver) -> None:
    # default axes: the first two parameters, orientation.yaw (4 quantile bins) x camera.elevation (0, 30)
    numbers = cell_numbers(page)
    assert len(numbers) == 4 * 2
    assert sum(int(n) for _x, _y, n in numbers) == 96
    assert "orientation.yaw" in page.find_element(By.ID, "heatmap-title").text
    labels = [t.text for t in page.find_elements(By.CSS_SELECTOR, "svg#heatmap text")]
    assert "0" in labels and "30" in labels and "n = 96" in page.find_element(By.ID, "overall").text


def test_moving_a_slider_changes_the_numbers(page: WebDriver, folder: Path) -> None:
    Select(page.find_element(By.CSS_SELECTOR, 'select[data-name="background.rotation"]')).select_by_value("slider")
    slider = wait(page).until(
        lambda d: d.find_element(By.CSS_SELECTOR, 'input[type=range][data-name="background.rotation"]')
    )
    frame = load(folder)
    quarter = frame["background.rotation"].quantile([0, 0.25, 0.5]).to_numpy()
    first_bin = int((frame["background.rotation"] <= quarter[1]).sum())
    wait(page).until(lambda d: sum(int(n) for *_, n in cell_numbers(d)) == first_bin)
    before = cell_numbers(page)
    slider.send_keys(Keys.ARROW_RIGHT)
    second_bin = int(((frame["background.rotation"] > quarter[1]) & (frame["background.rotation"] <= quarter[2])).sum())
    wait(page).until(lambda d: cell_numbers(d) != before)
    assert sum(int(n) for *_, n in cell_numbers(page)) == second_bin
    assert page.find_element(
        By.CSS_SELECTOR, 'tr[data-name="background.rotation"] td:last-child .bin-label'
    ).text.startswith("(")


def test_clicking_a_cell_shows_its_renders(page: WebDriver) -> None:
    Select(page.find_element(By.CSS_SELECTOR, 'select[data-name="object"]')).select_by_value("x")
    Select(page.find_element(By.CSS_SELECTOR, 'select[data-name="camera.elevation"]')).select_by_value("y")
    wait(page).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, CELLS)) == 2 * 2)
    banana_30 = page.find_element(By.CSS_SELECTOR, f'{CELLS}[data-x="0"][data-y="1"]')
    assert "0.00 [" in banana_30.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    banana_30.click()
    figures = wait(page).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#cell-gallery figure"))
    assert len(figures) == int(banana_30.get_attribute("data-n")) == 24
    loaded = "return Array.from(document.querySelectorAll('#cell-gallery img')).every(i => i.complete && i.naturalWidth == 16)"
    wait(page).until(lambda d: d.execute_script(loaded))
    captions = [f.find_element(By.TAG_NAME, "figcaption").text for f in figures]
    assert all("slug" in c and "p(true)" in c and "banana" in c for c in captions)
    assert "camera.elevation 30" in page.find_element(By.ID, "cell-title").text
    # the failure gallery: the same renders, lowest p(true class) first
    failures = page.find_elements(By.CSS_SELECTOR, "#failure-gallery figure")
    assert len(failures) == 12 and failures[0].get_attribute("data-id") == "0000000000000004"


def test_object_selector_filters_the_view(page: WebDriver) -> None:
    row = page.find_element(By.CSS_SELECTOR, '#objects tr[data-label="banana"]')
    assert row.find_elements(By.TAG_NAME, "td")[2].text == "48"
    row.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
    wait(page).until(lambda d: sum(int(n) for *_, n in cell_numbers(d)) == 48)
    assert "1.00 [" in page.find_element(By.ID, "overall").text  # only mug is left, always right


def test_new_part_files_appear_after_refresh(page: WebDriver, folder: Path) -> None:
    assert page.find_element(By.ID, "counts").get_attribute("data-rows") == "96"
    write_results(folder, 32, start=96, rows_per_part=32)
    page.find_element(By.ID, "refresh").click()
    wait(page).until(lambda d: d.find_element(By.ID, "counts").get_attribute("data-rows") == "128")
    wait(page).until(lambda d: sum(int(n) for *_, n in cell_numbers(d)) == 128)
    write_results(folder, 32, start=128, rows_per_part=32)  # and without a click: the page polls
    wait(page).until(lambda d: d.find_element(By.ID, "counts").get_attribute("data-rows") == "160")
