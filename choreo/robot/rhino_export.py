"""A choreography as a Rhino file (``.3dm``): the flange path and the keyframe planes.

So that a choreography opens in Rhino/Grasshopper next to the studio's own geometry.
Written with ``rhino3dm`` (McNeel's openNURBS bindings) in the robot's base frame
(z up, x forward, the base plate at z = 0), in millimetres:

- layer ``choreo flange path``: one polyline through the flange position at every
  sample of the plan (HOME first, one point per controller cycle), named with the
  source and the duration;
- layer ``choreo keyframe planes``: one square plane surface per keyframe, centred on
  the flange (``FrameAt(0, 0)`` of the surface is the plane). The plane's normal is the
  flange's tool direction (its x axis in the URDF chain of :mod:`choreo.robot.kr6`), its
  x axis the flange's z axis. Each carries user strings: ``keyframe``, ``time_s`` (when
  it is reached) and ``A1`` .. ``A6`` (deg).

The choreography is checked first (:mod:`choreo.robot.export_source`); the file is
written atomically.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from choreo.robot.export_source import ExportSource
from choreo.robot.kr6 import AXES, forward_kinematics, joint_frames

PATH_LAYER = "choreo flange path"
PLANES_LAYER = "choreo keyframe planes"
#: Half the side of a keyframe plane surface, mm.
PLANE_HALF_SIZE_MM = 40.0
#: Rhino file version written: Rhino 7 and later open it.
RHINO_VERSION = 7


def keyframe_frames(q_deg: NDArray[np.float64]) -> NDArray[np.float64]:
    """Plane origin, x axis and y axis of each pose's keyframe plane, (k, 3, 3), mm.

    Origin: the flange, mm. Normal (x cross y): the flange's tool direction.
    """
    frames = joint_frames(q_deg)[..., 6, :, :]
    rot = frames[..., :3, :3]
    origin = frames[..., :3, 3] * 1000.0
    x_axis = rot[..., :, 2]  # the flange's z
    y_axis = -rot[..., :, 1]  # so that x cross y is the flange's x (tool direction)
    return np.stack([origin, x_axis, y_axis], axis=-2)


def rhino_model(source: ExportSource) -> Any:
    """The ``rhino3dm.File3dm`` of ``source``'s plan (not yet written)."""
    import importlib

    # Untyped on purpose: rhino3dm 8.35's stubs call writable properties read-only and
    # lack constructor overloads that exist (tests read every value back).
    r3: Any = importlib.import_module("rhino3dm")

    plan = source.plan
    model = r3.File3dm()
    model.Settings.ModelUnitSystem = r3.UnitSystem.Millimeters
    path_layer = model.Layers.AddLayer(PATH_LAYER, (220, 60, 30, 255))
    planes_layer = model.Layers.AddLayer(PLANES_LAYER, (30, 110, 220, 255))

    flange_mm = forward_kinematics(plan.q) * 1000.0
    attrs = r3.ObjectAttributes()
    attrs.LayerIndex = path_layer
    attrs.Name = f"flange path: {source.description} ({plan.duration:.3f} s)"
    attrs.SetUserString("cycle_s", f"{plan.cycle_s:g}")
    attrs.SetUserString("duration_s", f"{plan.duration:.3f}")
    model.Objects.AddPolyline([r3.Point3d(*map(float, p)) for p in flange_mm], attrs)

    idx = plan.keyframe_indices
    half = r3.Interval(-PLANE_HALF_SIZE_MM, PLANE_HALF_SIZE_MM)
    for k, (frame, i) in enumerate(zip(keyframe_frames(plan.q[idx]), idx, strict=True), 1):
        origin, x_axis, y_axis = frame
        plane = r3.Plane(
            r3.Point3d(*map(float, origin)),
            r3.Vector3d(*map(float, x_axis)),
            r3.Vector3d(*map(float, y_axis)),
        )
        attrs = r3.ObjectAttributes()
        attrs.LayerIndex = planes_layer
        attrs.Name = f"keyframe {k:02d} ({plan.t[i]:.3f} s)"
        attrs.SetUserString("keyframe", str(k))
        attrs.SetUserString("time_s", f"{plan.t[i]:.3f}")
        for axis, value in zip(AXES, plan.q[i], strict=True):
            attrs.SetUserString(axis, f"{value:.4f}")
        model.Objects.AddSurface(r3.PlaneSurface(plane, half, half), attrs)
    return model


def export_3dm(
    source_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    config: str | os.PathLike[str] | None = None,
) -> Path:
    """Check the choreography at ``source_path`` and write it as the Rhino file ``out``.

    Parameters
    ----------
    source_path : path
        A vector file or a session directory (its best choreography).
    out : path
        The ``.3dm`` to write (the suffix is added when missing).
    config : str or path, optional
        Robot configuration name or TOML path.
    """
    from choreo.errors import InputError
    from choreo.robot.atomic_output import write_file
    from choreo.robot.config import load_robot_config
    from choreo.robot.export_source import checked_choreography

    target = Path(out)
    if target.suffix.lower() != ".3dm":
        target = target.with_name(target.name + ".3dm")
    source = checked_choreography(source_path, load_robot_config(config))
    model = rhino_model(source)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "model.3dm"
        if not model.Write(str(scratch), RHINO_VERSION):
            raise InputError(f"{target}: rhino3dm could not encode the model")
        data = scratch.read_bytes()
    return write_file(target, data)
