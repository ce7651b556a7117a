"""Analyze page: upload a clip, a watch file, an IMU recording or a landmark CSV, analyse it, store it."""

from __future__ import annotations

import re
import shutil
from datetime import date
from pathlib import Path

import streamlit as st

from dashboard import state
from engine.errors import LeanlineError
from engine.ingest import STAGES, ingest
from engine.pose.extract import RateMeter
from engine.sources import detect_kind

UPLOAD_TYPES = ["mp4", "mov", "m4v", "webm", "fit", "csv", "txt", "zip"]
KIND_NAMES = {"video": "video clip", "fit": "FIT watch file", "imu": "IMU recording", "landmarks": "landmark CSV"}

lib = state.library()
st.title("Analyze")
st.caption(f"Side-view clips (.mp4 .mov .webm), FIT files from a watch or pod, IMU CSV/zip, or a landmark CSV. "
           f"Up to {state.max_upload_mb()} MB per file. Files stay on this computer.")

upload = st.file_uploader("File", type=UPLOAD_TYPES, key="upload")
athletes = lib.athletes()
NEW = "➕ New athlete"
options = athletes["name"].tolist() + [NEW]
c1, c2 = st.columns(2)
who = c1.selectbox("Athlete", options, index=0, key="an_athlete")
new_name = c1.text_input("New athlete's name", key="an_new_name", max_chars=80) if who == NEW else ""
known_height = None
if who != NEW and not athletes.empty:
    h = athletes.loc[athletes["name"] == who, "height_cm"]
    known_height = float(h.iloc[0]) if len(h) and h.notna().iloc[0] else None
height = c1.number_input("Runner's height (cm)", min_value=0.0, max_value=230.0, value=known_height or 0.0, step=1.0,
                         help="Scales lengths (overstride, oscillation). 0 = estimate from the pose model's 3-D "
                              "landmarks.",
                         key="an_height")
treadmill = c1.number_input("Treadmill speed (km/h, 0 if overground)", min_value=0.0, max_value=30.0, value=0.0,
                            step=0.1, key="an_treadmill")
session_date = c2.date_input("Session date", value=date.today(), key="an_date")
title = c2.text_input("Title", max_chars=120, key="an_title", placeholder="the file's name if left empty")
label = c2.selectbox("Label", ["", "before block", "after block", "during block", "race", "drill"],
                     accept_new_options=True, key="an_label")
placement = c2.selectbox("Sensor placement (IMU files)", ["waist", "foot", "wrist"], key="an_placement",
                         help="Where the phone or sensor was worn.")

if st.button("Analyze and save", type="primary", disabled=upload is None, key="an_go"):
    athlete = (new_name if who == NEW else who).strip()
    if not athlete:
        st.error("Give the athlete a name.")
        st.stop()
    suffix = Path(upload.name).suffix.lower()
    if suffix.lstrip(".") not in UPLOAD_TYPES:
        st.error(f"{suffix or 'files without an extension'} cannot be analysed; use one of {', '.join(UPLOAD_TYPES)}")
        st.stop()
    tmp = lib.scratch()        # inside the library's folder: a crash's leftovers are swept on the next start
    try:
        safe_stem = re.sub(r"[^A-Za-z0-9_-]+", "_", Path(upload.name).stem).strip("_")[:60] or "upload"
        path = Path(tmp) / f"{safe_stem}{suffix}"      # a sanitised name: no paths, no odd characters
        path.write_bytes(upload.getvalue())
        bar = st.progress(0.0, text=f"1/4 · {STAGES['reading']} ...")
        meter = RateMeter()
        pose_share = 0.85 if detect_kind(path) == "video" else 0.0     # of the whole job's time

        def progress(done: int, total: int) -> None:
            fps, eta = meter(done, total)
            frac = min(1.0, done / total) if total else 0.0
            left = f" · about {eta + 3:.0f} s left" if eta is not None else " · measuring the speed ..."
            text = (f"2/4 · {STAGES['pose']}: frame {done} of {total or '?'} · {fps:.0f} frames/s{left}"
                    if done else f"2/4 · {STAGES['pose']}: starting ...")
            bar.progress(0.02 + pose_share * frac, text=text)

        def on_stage(name: str) -> None:
            where = {"reading": (1, 0.0), "events": (3, 0.02 + pose_share), "frames": (4, 0.04 + pose_share)}
            step, frac = where.get(name, (4, 0.95))
            bar.progress(min(frac, 0.97), text=f"{step}/4 · {STAGES[name]} ...")

        try:
            file_kind = detect_kind(path)
            job = ingest(path, kind=file_kind, height_cm=height or None, treadmill_speed_kmh=treadmill or None,
                         placement=placement if file_kind == "imu" else None, progress=progress, work_dir=tmp,
                         on_stage=on_stage)
            bar.progress(0.98, text=f"4/4 · {STAGES['saving']} ...")
            sid = lib.save_session(job.result, athlete=athlete, title=title or Path(upload.name).stem,
                                   source_name=upload.name, label=label or "", session_date=session_date,
                                   height_cm=height or None, key_frames=job.key_frames, media=job.media)
        except LeanlineError as exc:
            bar.empty()
            st.error(str(exc) if path.name in str(exc) else f"{upload.name}: {exc}")
            st.caption("Nothing was added to the library.")
            st.stop()
        except Exception as exc:  # a bug must not leave a half-stored session or a raw traceback
            bar.empty()
            state.show_error(exc)
            st.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    state.select_session(sid)
    st.success(f"Saved as a {KIND_NAMES.get(job.result.source.get('kind'), 'session')} for {athlete}.")
    st.switch_page("views/session.py")
