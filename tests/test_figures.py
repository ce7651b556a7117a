"""Figure builders: traces, units, band colours, verdict colours; and the HTML report."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from dashboard import figures, report
from engine.compare import compare_results
from engine.gait.pipeline import analyze_track
from engine.store import StoredKeyFrame, StoredSession
from engine.synth.runner import simulate


@pytest.fixture(scope="module")
def result():
    return analyze_track(simulate(duration_s=8.0, fps=60.0, noise_frac=0.0).track, height_cm=175.0)


@pytest.mark.parametrize("metric,value,band", [
    ("cadence_spm", 152.9, "red"), ("cadence_spm", 153.0, "orange"), ("cadence_spm", 163.0, "orange"),
    ("cadence_spm", 164.0, "green"), ("cadence_spm", 174.0, "blue"), ("cadence_spm", 183.0, "blue"),
    ("cadence_spm", 184.0, "purple"),
    ("ground_contact_ms", 217.0, "purple"), ("ground_contact_ms", 218.0, "blue"), ("ground_contact_ms", 249.0, "green"),
    ("ground_contact_ms", 308.0, "orange"), ("ground_contact_ms", 309.0, "red"),
    ("vertical_oscillation_cm", 6.3, "purple"), ("vertical_oscillation_cm", 6.4, "blue"),
    ("vertical_oscillation_cm", 9.7, "green"), ("vertical_oscillation_cm", 11.5, "orange"),
    ("vertical_oscillation_cm", 11.6, "red"),
    ("vertical_ratio_pct", 6.0, "purple"), ("vertical_ratio_pct", 7.5, "green"), ("vertical_ratio_pct", 10.1, "orange"),
    ("vertical_ratio_pct", 10.2, "red"),
    ("lean_deg", 5.0, None), ("cadence_spm", float("nan"), None),
])
def test_garmin_bands(metric, value, band):
    """The bands of METRICS.md's Garmin table, at and around each published boundary."""
    assert figures.band(metric, value) == band


def test_summary_cards_carry_value_unit_and_band(result):
    cards = {c.metric: c for c in figures.summary_cards(result.summary)}
    cad = cards["cadence_spm"]
    median = result.summary["cadence_spm"]["median"]
    assert cad.value == f"{median:.0f} spm"
    assert cad.band == figures.band("cadence_spm", median) and cad.colour == figures.BAND_COLOURS[cad.band]
    assert cards["vertical_oscillation_cm"].value.endswith(" cm")
    assert cards["lean_deg"].band is None and cards["lean_deg"].colour is None


def test_timeline_has_a_trace_per_side_and_metric_with_units(result):
    rows = result.rows
    fig = figures.timeline_figure(rows, ("cadence_spm", "overstride_cm"), cursor_s=2.0)
    assert [t.name for t in fig.data] == ["left", "right", "left", "right"]
    left = rows[rows.side == "left"]
    np.testing.assert_allclose(np.asarray(fig.data[0].y, float), left["cadence_spm"].to_numpy(), equal_nan=True)
    np.testing.assert_allclose(np.asarray(fig.data[0].x, float), left["ic_s"].to_numpy())
    assert fig.data[0].marker.color != fig.data[1].marker.color           # left and right told apart
    titles = [a.text for a in fig.layout.annotations]
    assert "Cadence (spm)" in titles and "Overstride (cm)" in titles
    assert fig.layout.xaxis2.title.text == "time (s)"
    cursors = [s for s in fig.layout.shapes if s.type == "line"]
    assert len(cursors) == 2 and all(s.x0 == 2.0 for s in cursors)
    bands = [s for s in fig.layout.shapes if s.type == "rect"]
    assert {s.fillcolor for s in bands} == set(figures.BAND_COLOURS.values())   # cadence has all five


def test_timeline_for_watch_records():
    rows = pd.DataFrame({"time_s": np.arange(10.0), "cadence_spm": np.linspace(170, 175, 10),
                         "heart_rate_bpm": np.full(10, 150.0)})
    metrics = figures.timeline_metrics(rows)
    assert metrics == ("cadence_spm", "heart_rate_bpm")
    fig = figures.timeline_figure(rows, metrics)
    assert [t.name for t in fig.data] == ["both", "both"] and list(fig.data[1].y) == [150.0] * 10


def test_foot_strike_and_distributions(result):
    fig = figures.foot_strike_figure(result.rows)
    counts = sum(np.asarray(t.y) for t in fig.data)
    fs = result.summary["foot_strike"]
    assert list(counts) == [fs["rearfoot"], fs["midfoot"], fs["forefoot"]]
    dist = figures.distribution_figure([("a", result.rows), ("b", result.rows)], "cadence_spm")
    assert [t.name for t in dist.data] == ["a", "b"] and dist.layout.yaxis.title.text == "Cadence (spm)"


def test_change_figure_colours_by_verdict(result):
    other = analyze_track(simulate(duration_s=8.0, fps=60.0, noise_frac=0.0, cadence_spm=185.0).track, height_cm=175.0)
    changes = compare_results(result, other)
    fig = figures.change_figure(changes)
    assert len(fig.data) == len(changes)
    cad = changes.index[changes.metric == "cadence_spm"][0]
    assert changes.loc[cad, "verdict"] == "better"
    assert fig.data[cad].marker.color == figures.VERDICT_COLOURS["better"]
    assert fig.data[cad].y[0] == "cadence (spm)"


def test_html_report_is_self_contained_and_escapes_user_text(result):
    stored = StoredSession(id=1, athlete_id=1, athlete="<img src=x onerror=alert(1)>", title="Tempo <b>run</b>",
                           label="before", session_date="2026-10-01", tags=[], notes="<script>bad()</script>",
                           kind="landmarks", source_name="a.csv", created_at="", result=result)
    jpeg = bytes.fromhex("ffd8ffe000104a464946") + b"\x00" * 16
    html = report.session_report(stored, [StoredKeyFrame(0, "left", 0.3, jpeg)], notes={0: "<i>late pull</i>"})
    assert "<script>bad()</script>" not in html and "&lt;script&gt;bad()&lt;/script&gt;" in html
    assert "<img src=x" not in html and "Tempo &lt;b&gt;run&lt;/b&gt;" in html
    assert "&lt;i&gt;late pull&lt;/i&gt;" in html
    assert "data:image/jpeg;base64," in html
    assert not re.search(r"<script[^>]+src=", html)                      # nothing loaded from elsewhere
    assert "plotly" in html.lower()                                       # the chart library is inline
    assert html.count("Plotly.newPlot") >= 2


def test_lap_table_of_a_synthetic_watch_file(tmp_path):
    import datetime as dt

    from engine.sources.fit import read_fit
    from engine.synth.fit import watch_records, write_fit
    from engine.synth.runner import RunnerParams

    records = watch_records(RunnerParams(cadence_spm=172.0, speed_mps=3.2), duration_s=900, seed=2)
    res = read_fit(write_fit(tmp_path / "w.fit", records, start=dt.datetime(2026, 10, 1, 6, 0, tzinfo=dt.timezone.utc)))
    table = figures.lap_table(res.rows, res.source["laps"])
    assert len(table) == 3                                   # 2.88 km: two whole kilometres and the rest
    assert table["distance (km)"].iloc[:2].round(2).tolist() == [1.0, 1.0]
    assert table["duration (min)"].sum() == pytest.approx(15.0, abs=0.05)
    assert table["Cadence (spm)"].tolist() == pytest.approx([172.0] * 3, rel=0.02)
    assert figures.lap_table(res.rows.drop(columns="lap"), res.source["laps"]).empty
