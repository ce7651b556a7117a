"""FIT files the SDK cannot read, read by fitdecode to the same numbers; files with a header and nothing else."""

from __future__ import annotations

import datetime as dt
import struct
from pathlib import Path

import numpy as np
import pytest

from engine.errors import BadInputError
from engine.sources import analyze
from engine.sources.fit import read_fit
from engine.synth.fit import watch_records, write_fit
from engine.synth.runner import RunnerParams

REAL = Path(__file__).resolve().parents[2] / "shared" / "realdata" / "fit"
FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.timezone.utc)


def _crc(data: bytes) -> int:
    from garmin_fit_sdk import CrcCalculator

    return CrcCalculator.calculate_crc(data, 0, len(data))


def _definition(local: int, global_num: int, fields: list[tuple[int, int, int]]) -> bytes:
    body = struct.pack("<BBHB", 0, 0, global_num, len(fields)) + b"".join(struct.pack("<BBB", *f) for f in fields)
    return bytes([0x40 | local]) + body


def write_compressed_timestamp_fit(path: Path, cadence_spm: np.ndarray, *, start: dt.datetime) -> Path:
    """A run the way older Garmin watches write it: the first record carries its timestamp, every later one a
    5-bit time offset in its record header (a compressed timestamp header) and no timestamp field."""
    t0 = int((start - FIT_EPOCH).total_seconds())
    uint8, uint16, uint32, enum = 0x02, 0x84, 0x86, 0x00
    out = bytearray()
    out += _definition(0, 0, [(0, 1, enum), (1, 2, uint16), (4, 4, uint32)])               # file_id
    out += bytes([0]) + struct.pack("<BHI", 4, 1, t0)
    rec = [(4, 1, uint8), (53, 1, uint8), (41, 2, uint16), (39, 2, uint16)]                # cadence ... VO
    out += _definition(1, 20, [(253, 4, uint32)] + rec)
    out += _definition(2, 20, rec)

    def values(k: int) -> bytes:
        strides = cadence_spm[k] / 2.0
        whole = int(strides)
        return struct.pack("<BBHH", whole, int(round((strides - whole) * 128)), 2480, 86)  # 248 ms, 8.6 cm

    out += bytes([1]) + struct.pack("<I", t0) + values(0)
    for k in range(1, len(cadence_spm)):
        out += bytes([0x80 | (2 << 5) | ((t0 + k) & 0x1F)]) + values(k)
    n = len(cadence_spm)
    out += _definition(3, 18, [(253, 4, uint32), (2, 4, uint32), (7, 4, uint32), (5, 1, enum), (6, 1, enum)])
    out += bytes([3]) + struct.pack("<IIIBB", t0 + n, t0, n * 1000, 1, 0)                  # session: running
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(out), b".FIT")
    header += struct.pack("<H", _crc(header))
    data = header + bytes(out)
    path.write_bytes(data + struct.pack("<H", _crc(data)))
    return path


def test_compressed_timestamp_headers_are_read_to_the_records_cadence(tmp_path):
    rng = np.random.default_rng(4)
    cadence = 172.0 + rng.normal(0, 2.0, 180)
    path = write_compressed_timestamp_fit(tmp_path / "fr405.fit", cadence, start=dt.datetime(2012, 5, 1, 7, 0,
                                                                                                tzinfo=dt.timezone.utc))
    with pytest.raises(BadInputError, match="ompressed timestamp"):
        read_fit(path, reader="sdk")                      # what the SDK alone says
    res = analyze(path)
    assert len(res.rows) == 180
    np.testing.assert_allclose(res.rows["time_s"], np.arange(180.0))          # offsets in the headers
    assert res.summary["cadence_spm"]["median"] == pytest.approx(np.median(cadence), abs=2.0)
    np.testing.assert_allclose(res.rows["cadence_spm"], cadence, atol=2 / 128 + 1e-9)
    assert res.summary["ground_contact_ms"]["median"] == pytest.approx(248.0)


def _files_both_read(tmp_path: Path) -> list[Path]:
    params = RunnerParams(cadence_spm=174.0, duration_s=120.0, treadmill=True)
    synthetic = write_fit(tmp_path / "watch.fit", watch_records(params, duration_s=300.0),
                          start=dt.datetime(2026, 10, 1, 7, 0, tzinfo=dt.timezone.utc))
    real = sorted(p for p in REAL.glob("*.fit") if "walk" not in p.name) if REAL.is_dir() else []
    return [synthetic, *real]


def test_fitdecode_gives_what_the_sdk_gives_on_files_both_read(tmp_path):
    for path in _files_both_read(tmp_path):
        a, b = read_fit(path, reader="sdk"), read_fit(path, reader="fitdecode")
        assert list(a.rows.columns) == list(b.rows.columns), path.name
        np.testing.assert_allclose(a.rows.to_numpy(float), b.rows.to_numpy(float), equal_nan=True, err_msg=path.name)
        assert a.summary == b.summary and a.source == b.source and a.warnings == b.warnings, path.name


def test_a_file_with_only_a_header_says_so(tmp_path):
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, 0, b".FIT")
    header += struct.pack("<H", _crc(header))
    path = tmp_path / "empty.fit"
    path.write_bytes(header + struct.pack("<H", _crc(header)))
    with pytest.raises(BadInputError, match="header but no data"):
        analyze(path)
