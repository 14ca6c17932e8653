"""``choreo export 3dm``: the Rhino file, read back with rhino3dm, holds the flange path
and keyframe planes where the forward kinematics put them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rhino3dm

from choreo.config import resolve_config
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config
from choreo.robot.kr6 import AXES, HOME_DEG, forward_kinematics, joint_frames
from choreo.robot.rhino_export import PATH_LAYER, PLANES_LAYER, export_3dm
from choreo.robot.safety import UnsafeChoreography, check_choreography


def vector_file(tmp_path: Path, seed: int) -> Path:
    path = tmp_path / f"v{seed}.json"
    path.write_text(json.dumps(random_vector(seed).tolist()))
    return path


def xyz(p: object) -> np.ndarray:
    return np.array([p.X, p.Y, p.Z])  # type: ignore[attr-defined]


def test_path_and_planes_match_the_forward_kinematics(tmp_path: Path) -> None:
    cfg = load_robot_config()
    plan = check_choreography(random_vector(5), cfg).raise_if_unsafe()
    out = export_3dm(vector_file(tmp_path, 5), tmp_path / "dance")
    assert out == tmp_path / "dance.3dm"
    model = rhino3dm.File3dm.Read(str(out))
    assert model is not None
    assert model.Settings.ModelUnitSystem == rhino3dm.UnitSystem.Millimeters
    layers = {i: layer.Name for i, layer in enumerate(model.Layers)}
    by_layer: dict[str, list] = {PATH_LAYER: [], PLANES_LAYER: []}
    for obj in model.Objects:
        by_layer[layers[obj.Attributes.LayerIndex]].append(obj)
    assert len(by_layer[PATH_LAYER]) == 1
    assert len(by_layer[PLANES_LAYER]) == 28
    # The path: one point per sample, at the flange (mm), HOME first.
    curve = by_layer[PATH_LAYER][0].Geometry
    assert isinstance(curve, rhino3dm.PolylineCurve)
    assert curve.PointCount == plan.q.shape[0]
    points = np.array([xyz(curve.Point(i)) for i in range(curve.PointCount)])
    np.testing.assert_allclose(points, forward_kinematics(plan.q) * 1000.0, atol=1e-6)
    np.testing.assert_allclose(points[0], forward_kinematics(HOME_DEG) * 1000.0, atol=1e-6)
    # HOME, upper arm vertical and forearm level: x = 25 + 420 + 80 mm, z = 400 + 455 + 35 mm.
    np.testing.assert_allclose(points[0], [525.0, 0.0, 890.0], atol=1e-6)
    # The planes: at the flange of each keyframe, normal along the tool direction.
    idx = plan.keyframe_indices
    frames = joint_frames(plan.q[idx])[:, 6]
    for k, obj in enumerate(sorted(by_layer[PLANES_LAYER], key=lambda o: o.Attributes.Name)):
        assert obj.Attributes.Name.startswith(f"keyframe {k + 1:02d} ")
        assert float(obj.Attributes.GetUserString("time_s")) == pytest.approx(
            plan.t[idx[k]], abs=5e-4
        )
        q = [float(obj.Attributes.GetUserString(a)) for a in AXES]
        np.testing.assert_allclose(q, plan.q[idx[k]], atol=5e-5)
        ok, plane = obj.Geometry.FrameAt(0.0, 0.0)
        assert ok
        np.testing.assert_allclose(xyz(plane.Origin), frames[k, :3, 3] * 1000.0, atol=1e-6)
        np.testing.assert_allclose(xyz(plane.ZAxis), frames[k, :3, 0], atol=1e-9)
        np.testing.assert_allclose(xyz(plane.XAxis), frames[k, :3, 2], atol=1e-9)
    # The keyframe planes sit on the path at the keyframes' samples.
    origins = np.array(
        [xyz(o.Geometry.FrameAt(0.0, 0.0)[1].Origin) for o in by_layer[PLANES_LAYER]]
    )
    gap = np.abs(origins[:, None, :] - points[idx][None, :, :]).max(axis=2).min(axis=1)
    assert gap.max() < 1e-6


def test_a_refused_choreography_writes_no_file(tmp_path: Path) -> None:
    text = resolve_config("kr6r900sixx", "robot").read_text()
    high = tmp_path / "high.toml"
    high.write_text(text.replace("floor_z_m = 0.15", "floor_z_m = 0.75"))
    out = tmp_path / "dance.3dm"
    with pytest.raises(UnsafeChoreography, match=r"refused: workspace: .*below the floor"):
        export_3dm(vector_file(tmp_path, 5), out, high)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["high.toml", "v5.json"]


def test_cli_writes_the_file_and_refuses_in_one_line(tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("choreo"))
    source = vector_file(tmp_path, 5)
    args = [exe, "export", "3dm", str(source), str(tmp_path / "d.3dm")]
    ok = subprocess.run(args, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == str(tmp_path / "d.3dm")
    assert rhino3dm.File3dm.Read(str(tmp_path / "d.3dm")) is not None
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2, 300]")
    run = subprocess.run(
        [exe, "export", "3dm", str(bad), str(tmp_path / "e.3dm")], capture_output=True, text=True
    )
    assert run.returncode == 2
    assert run.stderr.startswith("choreo: error: ")
    assert "bad.json" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "e.3dm").exists()
