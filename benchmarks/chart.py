"""results.png: the overhead per request over the bare app, as grouped bars."""

from __future__ import annotations

from pathlib import Path

from .analysis import Results, apps_in
from .app_spec import Family, Interface
from .scenarios import Scenario, StateSize

__all__ = ["draw_chart"]

_PANELS = (
    (Interface.ASGI, Family.COOKIE, "ASGI (Starlette): cookie and memory stores"),
    (Interface.ASGI, Family.REDIS, "ASGI (Starlette): Redis"),
    (Interface.WSGI, Family.COOKIE, "WSGI (Flask): cookie stores"),
    (Interface.WSGI, Family.REDIS, "WSGI (Flask): Redis"),
)


def draw_chart(results: Results, path: Path, size: StateSize = StateSize.SMALL) -> bool:
    """Draw the chart to ``path``; False when there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = []
    for interface, family, title in _PANELS:
        specs = [s for s in apps_in(results, interface) if s.family is family]
        if specs:
            panels.append((specs, title))
    if not panels:
        return False
    columns = 2 if len(panels) > 1 else 1
    rows = (len(panels) + columns - 1) // columns
    figure, axes = plt.subplots(rows, columns, figsize=(7 * columns, 4.2 * rows), squeeze=False)
    scenarios = list(Scenario)
    for index, (specs, title) in enumerate(panels):
        axis = axes[index // columns][index % columns]
        width = 0.8 / len(specs)
        for position, spec in enumerate(specs):
            heights, errors, xs = [], [], []
            for column, scenario in enumerate(scenarios):
                overhead = results.overhead(spec.name, scenario, size)
                if overhead is None:
                    continue
                xs.append(column + (position - (len(specs) - 1) / 2) * width)
                heights.append(overhead.median)
                errors.append(overhead.spread)
            bars = axis.bar(
                xs,
                heights,
                width,
                yerr=errors,
                capsize=2,
                label=spec.name,
                hatch="//" if spec.coatcheck else None,
                edgecolor="black" if spec.coatcheck else None,
                linewidth=0.5,
            )
            axis.bar_label(bars, fmt="%.0f", fontsize=6, padding=1)
        axis.set_xticks(range(len(scenarios)), [s.value for s in scenarios])
        axis.set_ylabel(f"\u00b5s over the bare app ({size.value} state)")
        axis.set_title(title, fontsize=10)
        axis.legend(fontsize=7)
        axis.grid(axis="y", alpha=0.3)
    for index in range(len(panels), rows * columns):
        axes[index // columns][index % columns].set_visible(False)
    figure.suptitle("Session layer overhead per request, in-process (median over rounds)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True
