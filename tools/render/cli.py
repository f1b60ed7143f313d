"""The renderer's command line.

    python -m tools.render assets PATH_TO_MAKEHUMAN_CLONE      # once: copy the CC0 assets
    python -m tools.render list                                # the corpus's clips
    python -m tools.render frames NAME [--out DIR] [--limit N] # render one clip (needs bpy)
    python -m tools.render video NAME [--out DIR]              # frames -> NAME.mp4 with camera noise
    python -m tools.render label DIR                           # streams + truth -> DIR/labels.json
    python -m tools.render report DIR                          # evaluate's score by camera and body
    python -m tools.render truth-dowel [--none] DIR OUT        # DIR's streams with the truth's dowel

``make render-corpus`` runs them all (the render env, then ``station record`` on each video).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tools.render.assets import DEFAULT_DIR

OUT = Path(".cache/rendered")


def _progress(name: str) -> Callable[[int, int], None]:
    def show(i: int, n: int) -> None:
        print(f"\r{name}: frame {i}/{n}", end="", file=sys.stderr, flush=True)

    return show


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m tools.render", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("assets", help="copy MakeHuman's assets from a clone of makehumancommunity/makehuman")
    a.add_argument("repo", type=Path)
    a.add_argument("--to", type=Path, default=DEFAULT_DIR)
    ls = sub.add_parser("list", help="the corpus's clips")
    ls.add_argument("--names", action="store_true", help="names only, on one line")
    f = sub.add_parser("frames", help="render a clip's frames and truth (needs bpy)")
    f.add_argument("names", nargs="+")
    f.add_argument("--out", type=Path, default=OUT)
    f.add_argument("--assets", type=Path, default=DEFAULT_DIR)
    f.add_argument("--limit", type=int, help="only the first N frames (a quick look)")
    v = sub.add_parser("video", help="a clip's frames to an MP4 with its camera noise (needs OpenCV)")
    v.add_argument("names", nargs="+")
    v.add_argument("--out", type=Path, default=OUT)
    lab = sub.add_parser("label",
                         help="labels.json for the recorded streams in DIR, wall contact from the truth")
    lab.add_argument("dir", type=Path)
    lab.add_argument("--truth", type=Path, default=OUT, help="where the clips' truth.json are")
    rep = sub.add_parser("report", help="station evaluate's score on DIR, by camera angle and body")
    rep.add_argument("dir", type=Path)
    td = sub.add_parser("truth-dowel", help="copy a rendered corpus with the truth's dowel in every "
                        "frame (as if the finder never missed)")
    td.add_argument("dir", type=Path)
    td.add_argument("out", type=Path)
    td.add_argument("--none", action="store_true", help="no dowel in any frame instead (the landmarks alone)")
    args = p.parse_args(argv)
    if args.cmd == "assets":
        from tools.render.assets import copy_assets

        print(f"copied MakeHuman's assets at {copy_assets(args.repo, args.to)} to {args.to}")
    elif args.cmd == "list":
        from tools.render.corpus import CLIPS

        if args.names:
            print(" ".join(c.name for c in CLIPS))
            return 0
        for c in CLIPS:
            print(f"{c.name:18} seed {c.seed}: {c.notes}")
    elif args.cmd == "frames":
        from tools.render.corpus import clip
        from tools.render.render import render_clip

        if not (args.assets / "3dobjs" / "base.obj").is_file():
            print(f"error: no MakeHuman assets in {args.assets}; run `python -m tools.render assets CLONE`",
                  file=sys.stderr)
            return 2
        for name in args.names:
            folder = render_clip(clip(name), args.assets, args.out, args.limit, _progress(name))
            print(f"\n{name}: {folder}", file=sys.stderr)
    elif args.cmd == "video":
        from tools.render.video import encode

        for name in args.names:
            print(encode(args.out / name, args.out / f"{name}.mp4"))
    elif args.cmd == "label":
        from tools.render.label import write_labels

        print(write_labels(args.dir, args.truth))
    elif args.cmd == "report":
        from tools.render.report import print_report, report

        print_report(report(args.dir))
    elif args.cmd == "truth-dowel":
        from tools.render.truth_dowel import copy_with_truth_dowel

        print(copy_with_truth_dowel(args.dir, args.out, seen=not args.none))
    return 0
