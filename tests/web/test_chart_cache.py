"""Staff charts are drawn once per distinct data: a page shown again with nothing changed reuses the drawing."""

from __future__ import annotations

from samenspraak.web import charts


def test_the_same_bars_are_drawn_once_and_changed_bars_again():
    charts._bar_chart.cache_clear()
    first = charts.bar_chart(["Dorp", "Meerzicht"], [3, 5], [False, True], width=4.2)
    again = charts.bar_chart(["Dorp", "Meerzicht"], [3, 5], [False, True], width=4.2)
    changed = charts.bar_chart(["Dorp", "Meerzicht"], [3, 6], [False, True], width=4.2)
    info = charts._bar_chart.cache_info()
    assert (info.hits, info.misses) == (1, 2)
    assert again == first and changed != first
    charts._bar_chart.cache_clear()
    assert charts.bar_chart(["Dorp", "Meerzicht"], [3, 5], [False, True], width=4.2) == first  # as drawn afresh


def test_the_timeline_and_the_map_are_cached_by_what_they_show():
    charts._timeline_chart.cache_clear()
    charts._theme_map.cache_clear()
    days = ["2024-10-01", "2024-10-02"]
    assert charts.timeline_chart(days, [1, 2]) == charts.timeline_chart(days, [1, 2])
    assert charts.timeline_chart(days, [1, 3]) != charts.timeline_chart(days, [1, 2])
    points = [(0.1, 0.2, 1), (0.3, 0.1, 2)]
    names = {1: "Wonen", 2: "Groen"}
    assert charts.theme_map(points, names) == charts.theme_map(list(points), dict(names))
    assert charts.theme_map(points, {1: "Wonen", 2: "Groen en water"}) != charts.theme_map(points, names)
    assert charts._timeline_chart.cache_info().misses == 2 and charts._theme_map.cache_info().misses == 2
