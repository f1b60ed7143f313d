"""The drill's scene in Blender (``bpy``, headless, Workbench): floor, wall, switch pad, the body,
the dowel, a camera and the light; one PNG per frame.

Blender's axes: x forward (where the member faces), y to the member's left, z up, metres, the
floor at z = 0 and the ankles over the origin. MakeHuman's (x left, y up, z forward) map to them
by :func:`to_blender`.

    scene = Scene(body_faces, Look(...))
    scene.draw(frame)          # a tools.render.drill.Frame
    scene.render(path)         # a PNG
"""

from __future__ import annotations

import math
from pathlib import Path

import bpy
import numpy as np
from bpy_extras.object_utils import world_to_camera_view
from mathutils import Matrix, Vector

from tools.render.scene_look import Look

PAD_M = (0.02, 0.40, 0.30)  # the switch pad: 2 cm proud of the wall, 40 cm wide, 30 cm tall
# The camera aims at this height and fits this much height into the frame at the member's distance:
# -0.2 to 2.2 m, a tall member (up to 2 m) from the floor to above the head.
AIM_Z_M = 1.0
FRAME_HEIGHT_M = 2.4


def to_blender(v: np.ndarray, ground: float) -> np.ndarray:
    """MakeHuman (x left, y up, z forward) -> Blender (x forward, y left, z up)."""
    return np.stack([v[..., 2], v[..., 0], v[..., 1] - ground], axis=-1)


def _material(name: str, rgb: tuple[float, float, float]) -> bpy.types.Material:
    mat = bpy.data.materials.new(name)
    mat.diffuse_color = (*rgb, 1.0)
    return mat


def _box(name: str, size: tuple[float, float, float], at: tuple[float, float, float],
         rgb: tuple[float, float, float]) -> bpy.types.Object:
    bpy.ops.mesh.primitive_cube_add(size=1.0, location=at)
    obj = bpy.context.active_object
    obj.name = name
    obj.scale = size
    obj.data.materials.append(_material(name, rgb))
    return obj


class Scene:
    """One clip's scene. ``regions`` gives each face a part: 0 skin, 1 shirt, 2 pants, 3 shoes."""

    def __init__(self, faces: list[list[int]], n_verts: int, regions: np.ndarray, ground: float,
                 wall_z: float, hip_height: float, look: Look) -> None:
        bpy.ops.wm.read_factory_settings(use_empty=True)
        self.ground = ground
        self.look = look
        scene = bpy.context.scene
        scene.render.engine = "BLENDER_WORKBENCH"
        scene.render.resolution_x, scene.render.resolution_y = look.width, look.height
        scene.render.resolution_percentage = 100
        scene.render.image_settings.file_format = "PNG"
        scene.view_settings.view_transform = "Standard"  # colours as given: AgX would wash the orange out
        scene.view_settings.exposure = look.exposure
        shading = scene.display.shading
        shading.light = "STUDIO"
        shading.studio_light = look.light
        shading.studiolight_rotate_z = math.radians(look.light_angle)
        shading.color_type = "MATERIAL"
        shading.show_shadows = look.shadow > 0
        shading.shadow_intensity = look.shadow
        shading.show_cavity = False
        scene.display.render_aa = "FXAA"  # the cheapest smoothing: the render budget is shared
        world = bpy.data.worlds.new("world")
        world.color = (0.35, 0.35, 0.38)
        scene.world = world
        # Floor, wall (its face 2 cm behind the pad's), pad.
        wall_x = float(wall_z) - PAD_M[0]
        _box("floor", (8.0, 8.0, 0.02), (0.5, 0.0, -0.01), (0.45, 0.42, 0.40))
        # The wall runs from beside the camera (on the side wall) to well past the member.
        _box("wall", (0.2, 6.0, 3.0), (wall_x - 0.1, 0.2, 1.5), look.wall)
        _box("pad", PAD_M, (wall_x + PAD_M[0] / 2, 0.0, hip_height), (0.25, 0.25, 0.28))
        # The body: one mesh whose vertices each frame replaces.
        mesh = bpy.data.meshes.new("body")
        mesh.from_pydata(np.zeros((n_verts, 3)).tolist(), [], faces)
        for name, rgb in (("skin", look.skin), ("shirt", look.shirt), ("pants", look.pants),
                          ("shoes", (0.08, 0.08, 0.08))):
            mesh.materials.append(_material(name, rgb))
        mesh.polygons.foreach_set("material_index", regions.astype(np.int32))
        mesh.polygons.foreach_set("use_smooth", np.ones(len(faces), dtype=bool))
        self.body = bpy.data.objects.new("body", mesh)
        scene.collection.objects.link(self.body)
        bpy.ops.mesh.primitive_cylinder_add(radius=0.014, depth=1.0, vertices=16)
        self.dowel = bpy.context.active_object
        self.dowel.data.materials.append(_material("dowel", look.dowel))
        # The camera, aimed at mid-height, as an installer frames a member from feet to raised
        # hands (the station needs the whole body: BlazePose found nobody in the first second of a
        # tall man framed at 2.3 m about the hips, whose head the frame cut off).
        cam_data = bpy.data.cameras.new("camera")
        cam_data.sensor_width = 36.0
        self.camera = bpy.data.objects.new("camera", cam_data)
        scene.collection.objects.link(self.camera)
        scene.camera = self.camera
        target = Vector((wall_x * 0.4, 0.0, AIM_Z_M))
        yaw = math.radians(look.yaw)
        self.camera.location = target + Vector((look.distance * math.sin(yaw), -look.distance * math.cos(yaw),
                                                look.camera_z - AIM_Z_M))
        if self.camera.location.x <= wall_x:
            raise ValueError(f"yaw {look.yaw} deg puts the camera behind the wall (x "
                             f"{self.camera.location.x:.2f} m, the wall's face at {wall_x:.2f} m)")
        direction = target - self.camera.location
        self.camera.rotation_euler = direction.to_track_quat("-Z", "Y").to_euler()
        # Fit FRAME_HEIGHT_M at the target's distance into the frame's height.
        sensor_h = 36.0 * look.height / look.width
        cam_data.sensor_fit = "HORIZONTAL"
        cam_data.lens = sensor_h / 2 / (FRAME_HEIGHT_M / 2 / direction.length)
        self.wall_x = wall_x
        self.pad_x = wall_x + PAD_M[0]

    def draw(self, verts: np.ndarray, dowel: tuple[np.ndarray, np.ndarray]) -> None:
        """Put the body's vertices (MakeHuman's axes) and the dowel's ends in the scene."""
        v = to_blender(verts, self.ground)
        self.body.data.vertices.foreach_set("co", v.astype(np.float32).ravel())
        self.body.data.update()
        a, b = (Vector(p) for p in to_blender(np.array(dowel), self.ground))
        mid, axis = (a + b) / 2, b - a
        rot = axis.to_track_quat("Z", "Y").to_matrix().to_4x4()
        self.dowel.matrix_world = Matrix.Translation(mid) @ rot @ Matrix.Diagonal((1, 1, axis.length, 1))

    def project(self, point: np.ndarray) -> tuple[float, float]:
        """A point (Blender's axes) in image pixels (x right, y down)."""
        co = world_to_camera_view(bpy.context.scene, self.camera, Vector(point))
        return (co.x * self.look.width, (1 - co.y) * self.look.height)

    def render(self, path: Path) -> None:
        scene = bpy.context.scene
        scene.render.filepath = str(path)
        bpy.ops.render.render(write_still=True)
