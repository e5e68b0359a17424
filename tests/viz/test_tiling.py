import numpy as np

from playground.viz.tiling import tile_at, tile_columns, tile_grid


def test_columns_are_layers_and_units_go_top_to_bottom():
    a = np.stack([np.full((4, 5), i, dtype=np.float32) for i in range(3)])  # 3 units of 4x5
    b = np.stack([np.full((4, 5), 10 + i, dtype=np.float32) for i in range(2)])
    image, tiles = tile_columns([a, b], pad=1, gap=3)
    assert image.shape == (3 * 4 + 2, 2 * 5 + 3)
    assert len(tiles) == 5
    assert [(t.column, t.row) for t in tiles] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
    for t in tiles:
        value = (0 if t.column == 0 else 10) + t.row
        assert np.all(image[t.top:t.top + t.height, t.left:t.left + t.width] == value)
    assert np.isnan(image[4, 0])  # pad row between units
    assert np.isnan(image[:, 5:8]).all()  # gap between layers
    assert np.isnan(image[-1, -1])  # second layer is shorter: empty below


def test_flip_rows_turns_plane_images_upright():
    tile = np.arange(6, dtype=np.float32).reshape(1, 2, 3)  # row 0 = bottom of the plane
    image, _ = tile_columns([tile], flip_rows=True)
    assert np.array_equal(image, tile[0][::-1])


def test_tile_at_finds_the_tile_under_a_pixel():
    units = np.zeros((2, 4, 4), dtype=np.float32)
    _, tiles = tile_columns([units, units], pad=2, gap=6)
    assert (tile_at(tiles, 1, 1).column, tile_at(tiles, 1, 1).row) == (0, 0)
    assert (tile_at(tiles, 7, 12).column, tile_at(tiles, 7, 12).row) == (1, 1)
    assert tile_at(tiles, 4.5, 1) is None  # in the padding


def test_nothing_to_tile_gives_an_empty_image():
    image, tiles = tile_columns([])
    assert image.shape == (1, 1) and tiles == []


def test_grid_of_filters():
    images = np.arange(5 * 2 * 2, dtype=np.float32).reshape(5, 2, 2)
    grid = tile_grid(images, columns=3, pad=1)
    assert grid.shape == (2 * 2 + 1, 3 * 2 + 2)
    assert np.array_equal(grid[3:5, 3:5], images[4])
    assert np.isnan(grid[3:5, 6:8]).all()


def test_layer_rows_wrap_units_and_keep_layer_and_unit_ids():
    from playground.viz.tiling import best_units_per_row, tile_layer_rows

    layers = [np.zeros((5, 4, 4)), np.ones((3, 4, 4))]
    image, tiles = tile_layer_rows(layers, per_row=3, pad=1, gap=2)
    assert len(tiles) == 8
    assert [(t.column, t.row) for t in tiles][:5] == [(0, i) for i in range(5)]
    assert tiles[3].top == tiles[0].top + 5 and tiles[3].left == 0  # unit 3 wraps to the next row
    band2 = [t for t in tiles if t.column == 1]
    assert min(t.top for t in band2) == 2 * 4 + 1 + 2  # two rows of the first band, then the gap
    assert image.shape == (2 * 4 + 1 + 2 + 4, 3 * 4 + 2)
    assert np.all(image[band2[0].top:band2[0].top + 4, 0:4] == 1)
    assert best_units_per_row([16, 16, 16], 1000, 100) == 16
    assert best_units_per_row([16, 16, 16], 100, 1000) <= 2
