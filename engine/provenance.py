"""Which engine made a result: its version, every tunable number, and a digest of its methods' code.

Before/after verdicts are only fair when both sessions were measured the same way. Every result
carries ``engine = {version, package_version, method, code_digest, parameters}``:

- ``parameters``: every tunable number of the pose stage, the pose repair, the filtering and the event
  timing, by name (``repair.keep_one_person.max_jump_torso``): the algorithms' keyword defaults, read
  from their signatures, their settings objects and the modules' named thresholds;
- ``code_digest``: a hash of the syntax trees of the modules that compute results (comments and
  docstrings do not count), so a change of method that keeps every number still shows;
- ``version``: the package version plus a hash of both. It is never bumped by hand: two results with
  the same ``version`` were made by the same method with the same numbers.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
from dataclasses import asdict, is_dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

#: The event-timing strategies, in the order the engine tries them (see ``engine.gait.pipeline``).
METHOD = "contacts: landmark heights or sole edges; fore-aft extremes on implausible tracks; steady lag on jittery ones"

#: Modules whose code makes the numbers of a result.
_METHOD_MODULES = (
    "engine.gait.pipeline", "engine.gait.events", "engine.gait.metrics", "engine.gait.frame", "engine.gait.signal",
    "engine.gait.summary", "engine.gait.imu", "engine.pose", "engine.pose.repair", "engine.pose.extract",
    "engine.pose.blazepose", "engine.pose.scale", "engine.pose.roi", "engine.sources.fit", "engine.sources.imu",
)
_SCALARS = (int, float, str, bool)


def _modules() -> list[Any]:
    import importlib

    return [importlib.import_module(m) for m in _METHOD_MODULES]


def _algorithms() -> list[Any]:
    """The functions whose keyword defaults are tunable numbers of the method."""
    from engine.gait import events, signal
    from engine.pose import repair, scale

    return [signal.bridge_gaps, signal.lowpass, repair.repair_leg_swaps, repair.keep_one_person,
            repair.reject_outliers, scale.px_per_cm_from_world, events.sole_edges, events.stride_anchored_contacts,
            events.template_lag, events.steady_event_timing]


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        value = asdict(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    return value


def _defaults(fn: Any) -> dict[str, Any]:
    out = {}
    for name, p in inspect.signature(fn).parameters.items():
        if p.kind is p.KEYWORD_ONLY and p.default is not p.empty and isinstance(p.default, (*_SCALARS, tuple)):
            out[f"{fn.__module__.rsplit('.', 1)[-1]}.{fn.__name__}.{name}"] = _plain(p.default)
    return out


def _constants() -> dict[str, Any]:
    """Module-level thresholds: upper-case names bound to numbers (or tuples of numbers)."""
    out = {}
    for mod in _modules():
        short = mod.__name__.replace("engine.", "")
        for name, value in vars(mod).items():
            if not name.isupper() or name.startswith("_") or isinstance(value, bool):
                continue
            if isinstance(value, (int, float)) or (isinstance(value, tuple) and value
                                                    and all(isinstance(v, (int, float)) for v in value)):
                out[f"{short}.{name}"] = _plain(value)
    return out


def _flatten(prefix: str, params: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in params.items():
        if isinstance(v, dict):
            out.update(_flatten(f"{prefix}.{k}", v))
        else:
            out[f"{prefix}.{k}"] = v
    return out


@lru_cache(maxsize=1)
def default_parameters() -> dict[str, Any]:
    """Every tunable number of the default engine, by dotted name, sorted."""
    from engine.gait.pipeline import GaitSettings
    from engine.pose.blazepose import PoseSettings

    out = _flatten("gait", _plain(GaitSettings().get_params()))
    out.update(_flatten("pose", PoseSettings().get_params()))
    for fn in _algorithms():
        out.update(_defaults(fn))
    out.update(_constants())
    return dict(sorted(out.items()))


def _strip_docstrings(tree: ast.AST) -> ast.AST:
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(body, list) and body and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            node.body = body[1:] or [ast.Pass()]  # type: ignore[attr-defined]
    return tree


@lru_cache(maxsize=1)
def code_digest() -> str:
    """A hash of the methods' code, blind to comments, docstrings and formatting."""
    h = hashlib.sha256()
    for mod in _modules():
        source = Path(inspect.getfile(mod)).read_text(encoding="utf-8")
        h.update(ast.dump(_strip_docstrings(ast.parse(source)), include_attributes=False).encode())
    return h.hexdigest()[:16]


def engine_info(parameters: dict[str, Any] | None = None) -> dict[str, Any]:
    """``{version, package_version, method, code_digest, parameters}`` for a result."""
    from engine import __version__

    params = dict(sorted((parameters or default_parameters()).items()))
    digest = code_digest()
    tag = hashlib.sha256(json.dumps({"params": params, "code": digest, "method": METHOD}, sort_keys=True,
                                    default=str).encode()).hexdigest()[:10]
    return {"version": f"{__version__}+{tag}", "package_version": __version__, "method": METHOD,
            "code_digest": digest, "parameters": params}


def parameter_differences(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    """Names of the parameters whose values differ between two ``engine`` records (missing counts)."""
    pa, pb = (a or {}).get("parameters", {}), (b or {}).get("parameters", {})
    def same(k: str) -> bool:
        return json.dumps(pa.get(k), default=str) == json.dumps(pb.get(k), default=str)

    return sorted(k for k in set(pa) | set(pb) if not same(k))
