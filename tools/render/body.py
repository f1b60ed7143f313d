"""MakeHuman's body posed by linear-blend skinning: the mesh, the default skeleton and its weights.

The assets are MakeHuman's (makehumancommunity/makehuman, ``makehuman/data``; CC0 1.0 by its
LICENSE.ASSETS.md): ``3dobjs/base.obj``, ``rigs/default.mhskel``, ``rigs/default_weights.mhw`` and a
few ``targets/macrodetails`` files for other bodies. ``tools/render/assets.py`` copies them out of a
clone. Coordinates are MakeHuman's (x to the body's left, y up, z forward), in metres.

    body = Body.load(assets, BodyShape("male", weight="max", height=0.5))
    verts = body.skin(body.rest_rotations())   # (n, 3) posed vertices

Posing: each bone has a rotation in the rest pose's world axes about its own head; a bone's
world rotation is its parent's times its own, as usual for a skeleton. The drill only needs the
sagittal plane (rotations about x) plus the arms, which :mod:`tools.render.drill` solves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DM = 0.1  # MakeHuman's unit is the decimetre
OBJ = "3dobjs/base.obj"
SKELETON = "rigs/default.mhskel"
WEIGHTS = "rigs/default_weights.mhw"


@dataclass(frozen=True)
class BodyShape:
    """A body from MakeHuman's macro targets: sex, weight (min/average/max) and height (-1..1)."""

    sex: str = "male"  # "male" or "female"
    weight: str = "average"  # "min", "average" or "max": universal-*-young-averagemuscle-*weight
    height: float = 0.0  # -1 (the min-height target) .. 1 (the max-height target)

    def targets(self) -> list[tuple[str, float]]:
        """The target files (under targets/macrodetails) and their weights."""
        out = [(f"caucasian-{self.sex}-young.target", 1.0),
               (f"universal-{self.sex}-young-averagemuscle-{self.weight}weight.target", 1.0)]
        if self.height:
            end = "maxheight" if self.height > 0 else "minheight"
            out.append((f"height/{self.sex}-young-averagemuscle-{self.weight}weight-{end}.target",
                        abs(self.height)))
        return out


def read_obj(path: Path) -> tuple[np.ndarray, list[list[int]]]:
    """The vertices (decimetres) and the faces of the ``body`` group (0-based vertex indices)."""
    verts: list[list[float]] = []
    faces: list[list[int]] = []
    group = ""
    for line in path.read_text().splitlines():
        if line.startswith("v "):
            verts.append([float(v) for v in line.split()[1:4]])
        elif line.startswith("g "):
            group = line[2:].strip()
        elif line.startswith("f ") and group == "body":
            faces.append([int(p.split("/")[0]) - 1 for p in line.split()[1:]])
    return np.array(verts), faces


def read_target(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """A MakeHuman target: vertex indices and their offsets (decimetres)."""
    idx, off = [], []
    for line in path.read_text().splitlines():
        if line and not line.startswith("#"):
            parts = line.split()
            idx.append(int(parts[0]))
            off.append([float(v) for v in parts[1:4]])
    return np.array(idx, dtype=int), np.array(off).reshape(-1, 3)


def rot_x(deg: float) -> np.ndarray:
    """A rotation about x (the body's left): positive tips +y (up) towards +z (forward)."""
    a = np.radians(deg)
    c, s = np.cos(a), np.sin(a)
    return np.array([[1.0, 0, 0], [0, c, -s], [0, s, c]])


def rotation_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The smallest rotation taking direction ``a`` to direction ``b``."""
    a = a / np.linalg.norm(a)
    b = b / np.linalg.norm(b)
    v = np.cross(a, b)
    c = float(np.dot(a, b))
    if c < -0.999999:  # opposite: half a turn about any axis square to a
        axis = np.cross(a, [1.0, 0, 0] if abs(a[0]) < 0.9 else [0, 1.0, 0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    k = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + k + k @ k / (1 + c)


class Body:
    """One body: rest vertices, faces, bones (heads, tails, parents) and skin weights."""

    def __init__(self, verts: np.ndarray, faces: list[list[int]], skeleton: dict, weights: dict) -> None:
        self.verts = verts * DM
        self.faces = faces
        joints = {name: self.verts[idx].mean(axis=0) for name, idx in skeleton["joints"].items()}
        self.bones = list(skeleton["bones"])  # parents before children in MakeHuman's file? sorted below
        info = skeleton["bones"]
        self.parent = {b: info[b]["parent"] for b in self.bones}
        self.head = {b: joints[info[b]["head"]] for b in self.bones}
        self.tail = {b: joints[info[b]["tail"]] for b in self.bones}
        order: list[str] = []
        placed: set[str | None] = {None}
        while len(order) < len(self.bones):
            for b in self.bones:
                if b not in placed and self.parent[b] in placed:
                    order.append(b)
                    placed.add(b)
        self.order = order
        self.index = {b: i for i, b in enumerate(self.bones)}
        w = np.zeros((len(self.verts), len(self.bones)), dtype=np.float32)
        for bone, pairs in weights["weights"].items():
            if bone in self.index:
                arr = np.array(pairs)
                w[arr[:, 0].astype(int), self.index[bone]] = arr[:, 1]
        sums = w.sum(axis=1, keepdims=True)
        root = self.index["root"]
        w[sums[:, 0] == 0, root] = 1.0  # unweighted vertices (a few helpers) ride on the root
        self.weights = w / np.maximum(w.sum(axis=1, keepdims=True), 1e-9)
        self.used = np.flatnonzero(self.weights.max(axis=0) > 0)
        self.ground = float(self.verts[:, 1][self._body_vertices()].min())

    def _body_vertices(self) -> np.ndarray:
        return np.unique(np.concatenate([np.array(f) for f in self.faces]))

    @classmethod
    def load(cls, assets: Path, shape: BodyShape | None = None) -> Body:
        """The body from MakeHuman's data folder ``assets``, shaped by ``shape``'s targets."""
        verts, faces = read_obj(assets / OBJ)
        for name, amount in (shape.targets() if shape else []):
            idx, off = read_target(assets / "targets" / "macrodetails" / name)
            verts[idx] += amount * off
        skeleton = json.loads((assets / SKELETON).read_text())
        weights = json.loads((assets / WEIGHTS).read_text())
        return cls(verts, faces, skeleton, weights)

    def rest_rotations(self) -> dict[str, np.ndarray]:
        return {b: np.eye(3) for b in self.bones}

    def world(self, local: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each bone's world rotation and translation (v' = R v + t) from the local rotations."""
        rot: dict[str, np.ndarray] = {}
        trans: dict[str, np.ndarray] = {}
        for b in self.order:
            r = local.get(b, np.eye(3))
            h = self.head[b]
            p = self.parent[b]
            if p is None:
                rot[b], trans[b] = r, h - r @ h
            else:
                rot[b] = rot[p] @ r
                trans[b] = rot[p] @ (h - r @ h) + trans[p]
        return rot, trans

    def skin(self, local: dict[str, np.ndarray], offset: np.ndarray | None = None,
             only: np.ndarray | None = None) -> np.ndarray:
        """The posed vertices (linear-blend skinning) for these local rotations, then ``offset``;
        with ``only`` (vertex indices), just those (the others stay at zero)."""
        rot, trans = self.world(local)
        out = np.zeros_like(self.verts)
        mask = np.zeros(len(self.verts), dtype=bool)
        mask[only if only is not None else slice(None)] = True
        for i in self.used:
            b = self.bones[i]
            w = self.weights[:, i]
            nz = (w > 0) & mask
            out[nz] += w[nz, None] * (self.verts[nz] @ rot[b].T + trans[b])
        if offset is not None:
            out += offset
        return out

    def point(self, local: dict[str, np.ndarray], bone: str, p: np.ndarray) -> np.ndarray:
        """Where rest point ``p`` moves when it rides rigidly on ``bone``."""
        rot, trans = self.world(local)
        return rot[bone] @ p + trans[bone]
