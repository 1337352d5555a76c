"""fastiou.plot: heat map and per-class bars, drawn headless; matplotlib imported lazily."""

import subprocess
import sys

import numpy as np
import pytest

from fastiou.evaluate import plot

matplotlib = pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

CM = np.array([[50, 3, 0], [4, 30, 6], [0, 0, 0]])


def _axes():
    return Figure().add_subplot()


def test_importing_fastiou_plot_does_not_import_matplotlib():
    code = "import fastiou.plot, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


@pytest.mark.parametrize("normalize,axis", [("true", 1), ("pred", 0), ("all", None)])
def test_normalized_divides_like_sklearn_without_warnings(normalize, axis):
    values = plot.normalized(CM, normalize)
    total = CM.sum() if axis is None else CM.sum(axis=axis, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = np.nan_to_num(CM / total)
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(plot.normalized(CM, None), CM)


def test_confusion_matrix_draws_cells_ticks_and_values():
    ax = plot.confusion_matrix(CM, class_names=["road", "car", "bus"], ax=_axes())
    assert [t.get_text() for t in ax.get_xticklabels()] == ["road", "car", "bus"]
    assert ax.get_xlabel() == "Predicted label" and ax.get_ylabel() == "True label"
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(str(v) for v in CM.ravel() if v)
    np.testing.assert_array_equal(ax.images[0].get_array(), CM)


def test_normalised_cells_show_fractions():
    ax = plot.confusion_matrix(CM, normalize="true", ax=_axes(), colorbar=False)
    assert "0.75" in [t.get_text() for t in ax.texts]  # 30 / 40
    assert ax.images[0].norm.vmax == 1.0


def test_values_can_be_left_out_and_a_new_figure_is_made():
    ax = plot.confusion_matrix(np.eye(30, dtype=int))
    assert len(ax.texts) == 0 and ax.figure is not None


@pytest.mark.parametrize("kwargs,error,message", [
    ({"normalize": "rows"}, ValueError, "`normalize` must be one of"),
    ({"class_names": ["a"]}, ValueError, "`class_names` has 1 names but there are 3 classes"),
])
def test_confusion_matrix_errors(kwargs, error, message):
    with pytest.raises(error, match=message):
        plot.confusion_matrix(CM, ax=_axes(), **kwargs)


def test_confusion_matrix_rejects_non_square_input():
    with pytest.raises(ValueError, match="square"):
        plot.confusion_matrix(np.zeros((2, 3)), ax=_axes())


def test_per_class_bars_with_nan_and_mean():
    values = np.array([0.9, np.nan, 0.3])
    ax = plot.per_class(values, ["road", "car", "bus"], ax=_axes())
    widths = [bar.get_width() for bar in ax.patches]
    assert widths == [0.9, 0.0, 0.3]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["0.900", "n/a", "0.300", "mean 0.600 "]
    sorted_ax = plot.per_class(values, ["road", "car", "bus"], ax=_axes(), sort=True)
    assert [t.get_text() for t in sorted_ax.get_yticklabels()] == ["road", "bus", "car"]


def _extent(artist, renderer):
    return artist.get_window_extent(renderer)


def _render(figure):
    """Draw `figure` with Agg (as savefig does) and return the renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(figure)
    canvas.draw()
    return canvas.get_renderer()


@pytest.mark.parametrize("values", [[0.9, np.nan, 0.3], [0.2], [1.0, 1.0], list(np.linspace(0, 1, 19))])
def test_per_class_uses_one_unit_and_its_mean_label_stays_clear_of_the_title(values):
    """Bars, their labels, the mean and the axis are all fractions; the mean label lies
    inside the axes, above the first bar, and does not touch the title."""
    values = np.array(values)
    ax = plot.per_class(values, [f"class {i}" for i in range(values.size)], ax=_axes())
    renderer = _render(ax.figure)
    *labels, mean = ax.texts
    shown = [float(t.get_text()) for t in labels if t.get_text() != "n/a"]
    assert shown == pytest.approx(values[~np.isnan(values)], abs=5e-4)
    assert mean.get_text().strip() == f"mean {np.nanmean(values):.3f}"
    assert [tick for tick in ax.get_xticks()] == pytest.approx(np.linspace(0, 1, 6))
    assert ax.get_xlabel() == "IoU (0 to 1)"
    inside, title = ax.get_window_extent(renderer), _extent(ax.title, renderer)
    label = _extent(mean, renderer)
    assert inside.x0 <= label.x0 and label.x1 <= inside.x1
    assert inside.y0 <= label.y0 and label.y1 <= inside.y1
    assert not label.overlaps(title)
    assert all(not label.overlaps(_extent(bar, renderer)) for bar in ax.patches)


@pytest.mark.parametrize("draw", [
    lambda: plot.per_class([0.5, 0.25], ["a very long class name indeed", "car"]),
    lambda: plot.confusion_matrix(CM, ["a very long class name indeed", "car", "bus"]),
])
def test_new_pyplot_figures_clip_no_label(draw):
    """With pyplot loaded, a new figure is laid out so that every tick and axis label fits."""
    pyplot = pytest.importorskip("matplotlib.pyplot")
    ax = draw()
    try:
        ax.figure.canvas.draw()
        renderer = ax.figure.canvas.get_renderer()
        frame = ax.figure.bbox
        for text in [ax.xaxis.label, ax.yaxis.label, ax.title, *ax.get_yticklabels(),
                     *ax.get_xticklabels()]:
            if text.get_text():
                box = _extent(text, renderer)
                assert frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and \
                    box.y1 <= frame.y1, text.get_text()
    finally:
        pyplot.close(ax.figure)


def test_per_class_rejects_a_matrix():
    with pytest.raises(ValueError, match="one value per class"):
        plot.per_class(CM, ax=_axes())


def test_eval_figure_clips_no_text(tmp_path, monkeypatch):
    """Every text of the --plot figure (titles, axis labels, ticks, the mean) lies inside it."""
    from matplotlib.text import Text

    names = ["road", "traffic light", "motorcycle"]
    captured = {}
    original = Figure.savefig

    def keep(figure, *args, **kwargs):
        captured["figure"] = figure
        return original(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    plot.eval_figure(str(tmp_path / "eval.png"), CM, np.array([0.8, 0.5, np.nan]), names)
    figure = captured["figure"]
    renderer = _render(figure)
    texts = [t for t in figure.findobj(Text) if t.get_text() and t.get_visible()]
    assert any(t.get_text() == "True label" for t in texts)
    for text in texts:
        box = text.get_window_extent(renderer)
        assert figure.bbox.x0 <= box.x0 and box.x1 <= figure.bbox.x1 + 0.5, text.get_text()
        assert figure.bbox.y0 <= box.y0 and box.y1 <= figure.bbox.y1 + 0.5, text.get_text()


def test_eval_figure_writes_a_non_trivial_png(tmp_path):
    from PIL import Image

    target = tmp_path / "eval.png"
    plot.eval_figure(str(target), CM, np.array([0.8, 0.5, np.nan]), ["road", "car", "bus"])
    with Image.open(target) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[0] > 300 and pixels.shape[1] > 600
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50  # a drawing, not a blank canvas


def test_missing_matplotlib_is_explained(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'fastiou\[plot\]'"):
        plot.confusion_matrix(CM)
