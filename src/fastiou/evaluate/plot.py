"""Plots of a confusion matrix and of per-class scores (needs ``pip install 'fastiou[plot]'``).

In the style of scikit-learn's ``ConfusionMatrixDisplay``: a heat map with the counts (or
row-normalised fractions) written in the cells, ground truth on the vertical axis and the
prediction on the horizontal one. matplotlib is imported only when a plot is drawn.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import FloatArray
from fastiou.segmentation._core import as_confusion_matrix

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.colors import Colormap
    from matplotlib.figure import Figure

__all__ = ["confusion_matrix", "per_class"]

NORMALIZE = (None, "true", "pred", "all")


def _matplotlib() -> type[Figure]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ImportError("fastiou.plot needs matplotlib: pip install 'fastiou[plot]'") from None
    from matplotlib.figure import Figure

    return Figure


def _new_axes(ax: Axes | None, size: tuple[float, float]) -> Axes:
    """`ax`, or the axes of a new figure (pyplot is used only if it is already loaded)."""
    Figure = _matplotlib()
    if ax is not None:
        return ax
    import sys

    if "matplotlib.pyplot" in sys.modules:  # constrained: no tick or axis label is clipped
        axes: Axes = sys.modules["matplotlib.pyplot"].subplots(figsize=size, layout="constrained")[1]
        return axes
    return Figure(figsize=size, layout="constrained").add_subplot()


def _names(class_names: Sequence[object] | None, count: int, name: str = "class_names") -> list[str]:
    if class_names is None:
        return [str(i) for i in range(count)]
    names = [str(n) for n in class_names]
    if len(names) != count:
        raise ValueError(f"`{name}` has {len(names)} names but there are {count} classes")
    return names


def normalized(cm: npt.ArrayLike, normalize: Literal["true", "pred", "all"] | None) -> FloatArray:
    """`cm` as float64, divided by its row sums (``"true"``), column sums (``"pred"``) or total
    (``"all"``); a row/column with no count stays 0 (no NumPy warning)."""
    if normalize not in NORMALIZE:
        raise ValueError(f"`normalize` must be one of {NORMALIZE}, got {normalize!r}")
    matrix = as_confusion_matrix(cm)
    if normalize is None:
        return matrix
    if normalize == "true":
        total = matrix.sum(axis=1, keepdims=True)
    elif normalize == "pred":
        total = matrix.sum(axis=0, keepdims=True)
    else:
        total = np.full((1, 1), matrix.sum())
    fractions: FloatArray = np.divide(matrix, total, out=np.zeros_like(matrix), where=total > 0)
    return fractions


def confusion_matrix(cm: npt.ArrayLike, class_names: Sequence[object] | None = None,
                     normalize: Literal["true", "pred", "all"] | None = None, ax: Axes | None = None, *,
                     cmap: str | Colormap = "Blues", include_values: bool | None = None,
                     values_format: str | None = None, colorbar: bool = True) -> Axes:
    """Draw a confusion matrix as a heat map.

    Parameters
    ----------
    cm : array_like of shape (C, C)
        Counts, rows = ground truth, columns = prediction (e.g. from
        :func:`fastiou.confusion_matrix` or ``ConfusionMatrix.matrix``).
    class_names : sequence of str, optional
        Tick labels (default: the class indices).
    normalize : {None, "true", "pred", "all"}
        As in scikit-learn: divide by the row sums (each row shows where that true class
        went; the diagonal is the per-class recall), the column sums, or the total.
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure.
    cmap : str or Colormap
        Colour map of the cells.
    include_values : bool, optional
        Write the values in the cells; by default only when ``C <= 25``.
    values_format : str, optional
        Format of the cell values (default ``".2f"`` when normalised, ``"d"`` otherwise).
    colorbar : bool
        Add a colour bar.

    Returns
    -------
    matplotlib.axes.Axes

    Raises
    ------
    ImportError
        matplotlib is not installed.

    Examples
    --------
    >>> import io
    >>> from fastiou import plot
    >>> ax = plot.confusion_matrix([[5, 1], [2, 7]], class_names=["road", "car"],
    ...                            normalize="true")
    >>> ax.get_title()
    'Confusion matrix (normalised by true class)'
    >>> ax.figure.savefig(io.BytesIO(), format="png")  # or a file name
    """
    values = normalized(cm, normalize)
    count = values.shape[0]
    names = _names(class_names, count)
    longest = max((len(n) for n in names), default=0)
    margin = 0.07 * longest  # inches the tick labels take beside and below the cells
    ax = _new_axes(ax, (max(4.0, 0.45 * count + 2) + margin, max(3.5, 0.45 * count + 1.5) + margin))
    image = ax.imshow(values, cmap=cmap, interpolation="nearest",
                      vmin=0.0, vmax=1.0 if normalize else max(1.0, values.max()))
    if include_values is None:
        include_values = count <= 25
    if include_values:
        fmt = values_format or (".2f" if normalize else "d")
        low, high = image.cmap(0.0), image.cmap(1.0)
        middle = (image.norm.vmin + image.norm.vmax) / 2
        for (row, col), value in np.ndenumerate(values):
            if value == 0 or (normalize and value < 0.005):  # keep sparse matrices readable
                continue
            shown = format(int(value) if fmt == "d" else value, fmt)
            ax.text(col, row, shown, ha="center", va="center", fontsize=7 if count > 12 else 9,
                    color=low if value > middle else high)
    ax.set_xticks(np.arange(count), labels=names, rotation=90 if count > 6 or longest > 8 else 0)
    ax.set_yticks(np.arange(count), labels=names)
    ax.set_xlabel("Predicted label")
    ax.set_ylabel("True label")
    title = {None: "Confusion matrix", "true": "Confusion matrix (normalised by true class)",
             "pred": "Confusion matrix (normalised by prediction)",
             "all": "Confusion matrix (normalised by total)"}[normalize]
    ax.set_title(title)
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax


def per_class(metrics: npt.ArrayLike, class_names: Sequence[object] | None = None, ax: Axes | None = None, *,
              label: str = "IoU", sort: bool = False, color: str = "#1f77b4") -> Axes:
    """Horizontal bars of one per-class score, with its mean (NaN classes shown as n/a).

    The bars, the values written beside them, the mean and the axis share one unit: the
    fraction in [0, 1] (the command-line table prints the same scores as percentages).

    Parameters
    ----------
    metrics : array_like of shape (C,)
        Per-class values in [0, 1] (e.g. ``ConfusionMatrix.compute().iou``); NaN for a
        class with no pixel in truth or prediction.
    class_names : sequence of str, optional
        Bar labels (default: the class indices).
    ax : matplotlib Axes, optional
        Where to draw; by default a new figure.
    label : str
        Name of the score, for the axis and the mean line.
    sort : bool
        Order the bars from best to worst instead of by class index.
    color : str
        Bar colour.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou import plot
    >>> ax = plot.per_class(np.array([0.9, 0.5, np.nan]), ["road", "car", "bus"], sort=True)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['road', 'car', 'bus']
    """
    values = np.asarray(metrics, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"`metrics` must be one value per class (1-D), got shape {values.shape}")
    names = _names(class_names, values.size)
    order = np.arange(values.size)
    if sort:
        order = np.argsort(np.where(np.isnan(values), -1.0, values), kind="stable")[::-1]
    longest = max((len(n) for n in names), default=0)
    ax = _new_axes(ax, (6.0 + 0.07 * longest, max(3.0, 0.3 * values.size + 1.3)))
    shown = values[order]
    positions = np.arange(values.size)
    ax.barh(positions, np.nan_to_num(shown), color=color)
    # one unit everywhere: the bars, their labels, the mean and the axis are fractions in [0, 1]
    for position, value in zip(positions, shown):
        text = "n/a" if np.isnan(value) else f"{value:.3f}"
        ax.text(min(np.nan_to_num(value), 1.0) + 0.01, position, text, va="center", fontsize=8,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    present = values[~np.isnan(values)]
    if present.size:
        mean = present.mean()
        ax.axvline(mean, color="black", linestyle="--", linewidth=1)
        # in the free row above the first bar, inside the axes: clear of the title and the bars
        left = mean <= 0.5
        ax.text(mean, -1.0, f" mean {mean:.3f}" if left else f"mean {mean:.3f} ", fontsize=8,
                va="center", ha="left" if left else "right")
    ax.set_yticks(positions, labels=[names[i] for i in order])
    ax.set_ylim(values.size - 0.5, -1.5)  # first class on top, one free row above it
    ax.set_xlim(0, 1.15)
    ax.set_xticks(np.linspace(0.0, 1.0, 6))
    ax.set_xlabel(f"{label} (0 to 1)")
    ax.set_title(f"Per-class {label}")
    return ax


def eval_figure(path: str | os.PathLike[str], matrix: npt.ArrayLike, values: npt.ArrayLike,
                class_names: Sequence[object], label: str = "IoU") -> str | os.PathLike[str]:
    """Write the ``fastiou eval --plot`` figure: the row-normalised confusion matrix beside
    the per-class bars."""
    Figure = _matplotlib()
    count = len(class_names)
    side = max(5.0, 0.42 * count + 2.5)
    figure = Figure(figsize=(side + 6.0, side), layout="constrained")
    left, right = figure.subplots(1, 2, gridspec_kw={"width_ratios": [side, 5.0]})
    confusion_matrix(matrix, class_names, normalize="true", ax=left)
    per_class(values, class_names, ax=right, label=label)
    figure.savefig(path, dpi=110)
    return path
