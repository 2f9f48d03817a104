"""Render measurements (background edge density, visible texture cells) and the analyses built on them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.analysis.complexity import complexity_accuracy, environment_complexity
from simulator.analysis.surface import uv_accuracy_map
from simulator.measurements import (
    UV_GRID,
    decode_uv_visible,
    edge_density,
    measure_render,
    measurement_columns,
    uv_visible_counts,
)


def stripes(size: int = 64, period: int = 8) -> np.ndarray:
    columns = (np.arange(size) // (period // 2)) % 2
    return np.repeat(np.tile(columns.astype(np.float32), (size, 1))[..., None], 3, axis=2)


def test_edge_density_is_zero_on_flat_images_and_grows_with_detail() -> None:
    assert edge_density(np.full((64, 64, 3), 0.6, np.float32)) == 0.0
    coarse, fine = edge_density(stripes(period=32)), edge_density(stripes(period=8))
    assert 0 < coarse < fine <= 1


def test_edge_density_counts_only_the_region_and_is_none_for_an_empty_one() -> None:
    image = np.full((64, 64, 3), 0.5, np.float32)
    image[:, 32:] = stripes()[:, 32:]
    left = np.zeros((64, 64), bool)
    left[:, :24] = True
    assert edge_density(image, left) == 0.0
    assert edge_density(image, ~left) > 0.1
    assert edge_density(image, np.zeros((64, 64), bool)) is None


def test_silhouette_edges_are_not_background_complexity() -> None:
    image = np.full((64, 64, 3), 0.8, np.float32)
    segmentation = np.zeros((64, 64), np.uint8)
    segmentation[16:48, 16:48] = 1
    image[segmentation == 1] = 0.1  # a dark object on a flat background
    measured = measure_render({"rgb": image, "segmentation": segmentation})
    assert measured["background_edge_density"] == 0.0
    assert set(measured) == set(measurement_columns(["rgb", "segmentation"]))


def test_uv_counts_land_in_the_right_cells_and_round_trip() -> None:
    uv = np.zeros((4, 4, 2), np.float32)
    uv[0, 0] = (0.01, 0.01)  # cell (v 0, u 0)
    uv[0, 1] = (0.99, 0.5)  # cell (v 16, u 31)
    uv[0, 2] = (1.25, 0.0)  # wraps to u 0.25 -> cell (0, 8)
    mask = np.zeros((4, 4), bool)
    mask[0, :3] = True
    counts = uv_visible_counts(uv, mask)
    assert counts.sum() == 3 and counts[0, 0] == counts[UV_GRID // 2, UV_GRID - 1] == counts[0, UV_GRID // 4] == 1
    measured = measure_render({"rgb": np.zeros((4, 4, 3), np.float32), "uv": uv, "segmentation": mask.astype(np.uint8)})
    assert np.array_equal(decode_uv_visible(measured["uv_visible"]), counts)


def surface_frame() -> pd.DataFrame:
    """Three renders of a 'mug': the two that see cell (0, 0) are right, the one that sees (5, 5) wrong."""
    def blob(*cells: tuple[int, int]) -> bytes:
        counts = np.zeros((UV_GRID, UV_GRID), "<u2")
        for v, u in cells:
            counts[v, u] = 7
        return counts.tobytes()

    return pd.DataFrame(
        {
            "object": ["mug", "mug", "mug", "cup"],
            "environment": ["a", "b", "b", "a"],
            "uv_visible": [blob((0, 0)), blob((0, 0), (1, 1)), blob((5, 5), (1, 1)), blob((9, 9))],
            "background_edge_density": [0.01, 0.2, 0.3, 0.02],
            "correct_top1": [True, True, False, True],
            "correct_topk": [True, True, True, True],
            "error": [None, None, None, None],
        }
    )


def test_uv_accuracy_map_is_accuracy_of_the_renders_that_see_each_cell() -> None:
    surface = uv_accuracy_map(surface_frame(), "mug", min_views=1)
    assert surface.samples == 3
    assert surface.accuracy[0, 0] == 1.0 and surface.accuracy[5, 5] == 0.0 and surface.accuracy[1, 1] == 0.5
    assert np.isnan(surface.accuracy[9, 9]) and surface.views[1, 1] == 2
    assert uv_accuracy_map(surface_frame(), "mug", min_views=2).accuracy[0, 0] == 1.0
    assert np.isnan(uv_accuracy_map(surface_frame(), "mug", min_views=3).accuracy[0, 0])


def test_uv_accuracy_map_says_how_to_get_the_column() -> None:
    with pytest.raises(KeyError, match="channels: \\[rgb, uv\\]"):
        uv_accuracy_map(surface_frame().drop(columns="uv_visible"))


def test_complexity_tables_order_environments_and_bin_renders() -> None:
    table = environment_complexity(surface_frame())
    assert list(table["environment"]) == ["a", "b"]
    assert table["edge_density"].tolist() == pytest.approx([0.015, 0.25])
    assert table["top1"].tolist() == [1.0, 0.5]
    binned = complexity_accuracy(surface_frame(), bins=2)
    assert binned["n"].sum() == 4 and binned["top1"].tolist() == [1.0, 0.5]
