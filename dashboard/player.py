"""A clip player for review: one or more clips side by side, synchronised at contacts, frame by frame.

The browser plays the clips itself (so stepping a frame or playing at a quarter speed costs nothing on
the server) and draws the lean line on a canvas over each video from the clip's landmarks: ankle of
the last contact's foot -> mid-hip -> mid-shoulder, and the vertical through the ankle. ``player_html``
is a pure function: clips in, one HTML document out (for ``st.components.v1.html``).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from engine.model import LandmarkTrack

#: Clips larger than this are played from a smaller copy (see ``dashboard.media.review_clip``).
MAX_INLINE_MB = 25.0


@dataclass
class ClipView:
    """One clip for the player: its file, its landmarks and its contacts."""

    name: str
    video: Path
    track: LandmarkTrack
    rows: pd.DataFrame              # the per-step table (ic_s, side, lean_deg ...)
    fps: float


def _points(track: LandmarkTrack) -> dict[str, list]:
    def col(name: str) -> np.ndarray:
        return track.point(name)

    mid_hip = 0.5 * (col("left_hip") + col("right_hip"))
    mid_sh = 0.5 * (col("left_shoulder") + col("right_shoulder"))
    out = {"t": np.round(track.time_s, 4).tolist()}
    for key, arr in (("la", col("left_ankle")), ("ra", col("right_ankle")), ("h", mid_hip), ("s", mid_sh)):
        out[key] = [[None if not np.isfinite(v) else round(float(v), 1) for v in p] for p in arr]
    return out


def _contacts(rows: pd.DataFrame) -> list[dict]:
    out = []
    for i, r in rows.reset_index(drop=True).iterrows():
        if pd.isna(r.get("ic_s")):
            continue
        lean = r.get("lean_deg")
        out.append({"n": int(i) + 1, "t": round(float(r["ic_s"]), 4), "side": str(r["side"]),
                    "lean": None if pd.isna(lean) else round(float(lean), 1),
                    "strike": None if pd.isna(r.get("foot_strike")) else str(r.get("foot_strike"))})
    return out


@lru_cache(maxsize=3)       # two side by side and one on the Session page
def _data_uri(path: str, mtime_ns: int) -> str:
    """The clip as a data URI, encoded once per file (pages re-run on every click)."""
    return "data:video/mp4;base64," + base64.b64encode(Path(path).read_bytes()).decode("ascii")


def clip_payload(view: ClipView) -> dict:
    return {"name": view.name, "src": _data_uri(str(view.video), view.video.stat().st_mtime_ns), "fps": view.fps,
            "w": view.track.image_width or 1280, "h": view.track.image_height or 720,
            "pts": _points(view.track), "contacts": _contacts(view.rows)}


def player_height(views: list[ClipView], width_px: int = 1200) -> int:
    """The component height that fits the clips side by side in ``width_px`` plus the controls."""
    each = width_px / max(1, len(views))
    aspect = max((v.track.image_height or 720) / (v.track.image_width or 1280) for v in views)
    return int(min(each * aspect, 640) + 150)


def player_html(views: list[ClipView]) -> str:
    """The player as one HTML document: the clips side by side and one set of controls for all of them."""
    # names are people's text: "</script>" in a title must not end the script
    payload = json.dumps([clip_payload(v) for v in views], allow_nan=False).replace("</", "<\\/")
    return _TEMPLATE.replace("__CLIPS__", payload)


_TEMPLATE = """<!doctype html><html><head><meta charset="utf-8"><style>
body{margin:0;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#222;font-size:14px}
.row{display:flex;gap:8px;align-items:flex-start}.clip{flex:1;min-width:0}
.stage{position:relative;background:#111;border-radius:6px;overflow:hidden;max-height:640px}
video{width:100%;display:block;max-height:640px;object-fit:contain}
canvas{position:absolute;left:0;top:0;width:100%;height:100%;pointer-events:none}
.name{font-weight:600;margin:2px 0 4px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.info{color:#555;min-height:1.3em}.bar{display:flex;flex-wrap:wrap;gap:6px;align-items:center;margin-top:8px}
button{font:inherit;padding:4px 10px;border:1px solid #bbb;border-radius:6px;background:#fff;cursor:pointer}
button:hover{background:#f0f2f6} input{font:inherit;width:4.5em;padding:3px}
</style></head><body>
<div class="row" id="clips"></div>
<div class="bar">
 <label>Contact <input id="contact" type="number" min="1" value="1"></label>
 <button id="go" title="show contact n of every clip">Go to contact</button>
 <button id="prevc" title="previous contact">&#9664;&#9664; contact</button>
 <button id="back" title="one frame back">&#9664; frame</button>
 <button id="fwd" title="one frame on">frame &#9654;</button>
 <button id="nextc" title="next contact">contact &#9654;&#9654;</button>
 <button data-rate="0.25">&#9654; &frac14;</button><button data-rate="0.5">&#9654; &frac12;</button>
 <button data-rate="1">&#9654; 1&times;</button><button id="pause">&#10073;&#10073; pause</button>
</div>
<script>
const clips = __CLIPS__;
const box = document.getElementById('clips');
const players = clips.map((c, k) => {
  const div = document.createElement('div'); div.className = 'clip';
  div.innerHTML = `<div class="name"></div><div class="stage"><video muted playsinline preload="auto"></video>` +
                  `<canvas></canvas></div><div class="info"></div>`;
  div.querySelector('.name').textContent = c.name;
  box.appendChild(div);
  const video = div.querySelector('video'); video.src = c.src;
  return {c, video, canvas: div.querySelector('canvas'), info: div.querySelector('.info'), k};
});
const nearest = (arr, t) => { let lo = 0, hi = arr.length - 1;
  while (hi - lo > 1) { const m = (lo + hi) >> 1; if (arr[m] < t) lo = m; else hi = m; }
  return Math.abs(arr[lo] - t) <= Math.abs(arr[hi] - t) ? lo : hi; };
function lastContact(p, t) { let best = null;
  for (const ct of p.c.contacts) { if (ct.t <= t + 0.5 / p.c.fps) best = ct; else break; } return best; }
function draw(p) {
  const v = p.video, cv = p.canvas, c = p.c;
  cv.width = cv.clientWidth; cv.height = cv.clientHeight;
  const g = cv.getContext('2d'); g.clearRect(0, 0, cv.width, cv.height);
  if (!v.videoWidth) return;
  const s = Math.min(cv.width / c.w, cv.height / c.h), ox = (cv.width - c.w * s) / 2, oy = (cv.height - c.h * s) / 2;
  const t = v.currentTime, i = nearest(c.pts.t, t), ct = lastContact(p, t);
  const side = ct ? ct.side : 'left', a = c.pts[side === 'left' ? 'la' : 'ra'][i], h = c.pts.h[i], sh = c.pts.s[i];
  const at = (q) => [ox + q[0] * s, oy + q[1] * s];
  const ok = [a, h, sh].every(q => q && q[0] !== null && q[1] !== null);
  const onContact = ct && Math.abs(ct.t - t) <= 1 / c.fps;
  if (ok) {
    const [ax, ay] = at(a), [hx, hy] = at(h), [sx, sy] = at(sh);
    g.strokeStyle = 'rgba(255,255,255,0.8)'; g.lineWidth = 1.5; g.beginPath();
    g.moveTo(ax, ay); g.lineTo(ax, sy - 0.15 * (ay - sy)); g.stroke();
    g.strokeStyle = onContact ? '#ffd600' : 'rgba(255,214,0,0.55)'; g.lineWidth = onContact ? 4 : 2.5;
    g.beginPath(); g.moveTo(ax, ay); g.lineTo(hx, hy); g.lineTo(sx, sy); g.stroke();
  }
  const frame = Math.round(t * c.fps);
  let text = `${t.toFixed(2)} s · frame ${frame}`;
  if (ct) {
    text += ` · contact #${ct.n} ${ct.side}`;
    if (onContact && ct.lean !== null) text += ` · lean ${ct.lean > 0 ? '+' : ''}${ct.lean}°`;
    if (onContact && ct.strike) text += ` · ${ct.strike}`;
  }
  if (!ok) text += ' · no lean line: a point of it was not seen here';
  p.info.textContent = text;
}
function loop() { players.forEach(draw); requestAnimationFrame(loop); }
requestAnimationFrame(loop);
const seek = (p, t) => { p.video.pause(); p.video.currentTime = Math.max(0, Math.min(t, (p.video.duration || t))); };
function toContact(n) { players.forEach(p => { const ct = p.c.contacts[Math.min(n, p.c.contacts.length) - 1];
  if (ct) seek(p, ct.t + 0.25 / p.c.fps); }); document.getElementById('contact').value = n; }
document.getElementById('contact').max = Math.max(...clips.map(c => c.contacts.length));
const current = () => parseInt(document.getElementById('contact').value || '1');
document.getElementById('go').onclick = () => toContact(current());
document.getElementById('prevc').onclick = () => toContact(Math.max(1, current() - 1));
document.getElementById('nextc').onclick = () => toContact(current() + 1);
document.getElementById('back').onclick = () => players.forEach(p => seek(p, p.video.currentTime - 1 / p.c.fps));
document.getElementById('fwd').onclick = () => players.forEach(p => seek(p, p.video.currentTime + 1 / p.c.fps));
document.getElementById('pause').onclick = () => players.forEach(p => p.video.pause());
document.querySelectorAll('button[data-rate]').forEach(b => b.onclick = () => players.forEach(p => {
  p.video.playbackRate = parseFloat(b.dataset.rate); p.video.play(); }));
players.forEach(p => p.video.addEventListener('loadeddata', () => {
  if (p.c.contacts.length) seek(p, p.c.contacts[0].t + 0.25 / p.c.fps); }, {once: true}));
</script></body></html>"""
