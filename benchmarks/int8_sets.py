"""Pick the int8 build's calibration photos and the held-out evaluation photos, and write the
calibration manifest (the crops the float engine cuts from them).

Source: the public-domain exercise photos of ``yuhonas/free-exercise-db`` (Unlicense), two per
exercise (start and end position). Exercises are taken in the order of the sha256 of their id
(a fixed shuffle that needs no random seed); an exercise counts only when the float engine
finds a person in both photos. The first ``--calibration`` of them go into the repository
(``calibration/landmark/``), the next ``--evaluation`` are listed in ``eval.json`` there
(never calibrated on: the agreement figures come from them).

    git clone https://github.com/yuhonas/free-exercise-db /tmp/fedb   # commit acd61f7
    .venv/bin/python benchmarks/int8_sets.py /tmp/fedb

``--video FILE`` then adds a real video's tracking crops to the manifest (the photos' crops
unchanged): the ROI the float engine tracks on every ``--every``-th frame. The video is copied
beside the photos; its source is given as ``--video-source repo,commit,path,licence``.

    .venv/bin/python benchmarks/int8_sets.py --video FILE --every 3 --video-source REPO,COMMIT,PATH,LICENCE

(the command that added the set's video is in ``calibration/landmark/README.md``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
from pathlib import Path

from station.camera.files import read_image
from station.config.paths import models_dir
from station.int8 import calibset
from station.pose.blazepose import PoseEstimator

SOURCE = {
    "repository": "https://github.com/yuhonas/free-exercise-db",
    "commit": "acd61f751fe15d618862ee3084f27e839222a28f",
    "licence": "Unlicense (public domain)",
}


def add_video(out: Path, video: Path, every: int, source: str) -> int:
    """Append the video's tracking crops to the manifest in ``out`` (replacing earlier ones)."""
    repo, commit, path, licence = source.split(",")
    if video.resolve() != (out / video.name).resolve():
        shutil.copyfile(video, out / video.name)
    _, crops = calibset.read_manifest(out)
    photo_source, videos = calibset.read_sources(out)
    crops = [c for c in crops if c.photo != video.name]
    est = PoseEstimator.from_folder(models_dir(), threads=2)
    found = calibset.crops_of_video(est, out / video.name, every)
    videos[video.name] = {"repository": f"https://github.com/{repo}", "commit": commit, "path": path,
                          "licence": licence}
    calibset.write_manifest(out, crops + found, photo_source, videos)
    print(f"{len(found)} crops of {video.name} added: {len(crops) + len(found)} in all", file=sys.stderr)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkout", type=Path, nargs="?", help="a checkout of free-exercise-db")
    parser.add_argument("--video", type=Path, help="add this video's tracking crops to the manifest")
    parser.add_argument("--every", type=int, default=3, help="with --video: every n-th frame")
    parser.add_argument("--video-source", default="", help="with --video: repo,commit,path,licence")
    parser.add_argument("--calibration", type=int, default=40, help="exercises to calibrate on")
    parser.add_argument("--evaluation", type=int, default=60, help="exercises held out")
    parser.add_argument("--out", type=Path, default=calibset.DEFAULT_FOLDER)
    args = parser.parse_args()
    if args.video is not None:
        return add_video(args.out, args.video, args.every, args.video_source)
    if args.checkout is None:
        parser.error("give a checkout of free-exercise-db (or --video)")
    exercises = sorted((p.name for p in (args.checkout / "exercises").iterdir() if p.is_dir()),
                       key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    est = PoseEstimator.from_folder(models_dir(), threads=2)
    args.out.mkdir(parents=True, exist_ok=True)
    crops: list[calibset.Crop] = []
    held_out: list[str] = []
    for name in exercises:
        if len(held_out) >= 2 * args.evaluation:
            break
        paths = [args.checkout / "exercises" / name / f"{i}.jpg" for i in (0, 1)]
        if not all(p.is_file() for p in paths):
            continue
        found = [calibset.crops_of_photo(est, read_image(p), f"{name}__{p.stem}.jpg") for p in paths]
        if not all(found):
            continue
        if len({c.photo for c in crops}) < 2 * args.calibration:
            for path, photo_crops in zip(paths, found, strict=True):
                shutil.copyfile(path, args.out / photo_crops[0].photo)
                crops += photo_crops
        else:
            held_out += [f"exercises/{name}/{p.name}" for p in paths]
    calibset.write_manifest(args.out, crops, SOURCE)
    (args.out / calibset.EVAL).write_text(json.dumps({"source": SOURCE, "photos": held_out}, indent=1) + "\n")
    kinds = {k: sum(c.kind == k for c in crops) for k in ("detect", "track1", "track2", "shifted",
                                                          "background")}
    low = sum(c.flag < 0.5 for c in crops)
    print(f"{len(crops)} crops {kinds}, {low} with the float flag below 0.5; {len(held_out)} held out",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
