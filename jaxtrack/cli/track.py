"""Track one target through a video (an mp4 or other file OpenCV reads, or a folder of frames
in frame order) from its box on the first frame.

--model takes a jaxtrack model directory (`jaxtrack convert` output or `jaxtrack.models.save`),
a training workdir (its latest checkpoint), `default` (the shipped CPU-trained tracker) or
`csrt` (OpenCV's CSRT, no model). --hyper names a hyperparameter set of the model's tracker
family (SiamRPN++: vot, vot_8gpu, otb, longterm, alex; SiamCAR/SiamLA: otb, got10k, uav123,
lasot, default), optionally with overrides such as `otb,lost_score=0.3,lost_search_scale=2`
(lost-target mode: below score 0.3 hold the box and search a twice wider window, see
jaxtrack.track.hyper) or `otb,search_size=287` (the search crop's side in pixels). Without
--hyper, a model directory's stored set applies (`default` stores the one chosen for it on
validation), else the family's default set. Boxes are written as x,y,w,h rows with float values,
one per frame.

examples:
  jaxtrack track --model runs/car_lite0 --video clip.mp4 --init 205,151,17,50 --out boxes.txt
  jaxtrack track --model csrt --video frames/ --init 205,151,17,50 --render tracked.mp4
"""

from __future__ import annotations

HELP = "track one target through a video file or folder of frames"
OUTPUTS = {"out": "file", "render": "file"}


def configure(parser):
    parser.add_argument("--model", required=True, help="model directory, training workdir, default or csrt")
    parser.add_argument("--video", required=True, help="video file or folder of frames")
    parser.add_argument("--init", required=True, metavar="X,Y,W,H", help="target box on the first frame (pixels)")
    parser.add_argument("--out", help="write the boxes (x,y,w,h per frame) to this file")
    parser.add_argument("--render", metavar="OUT.mp4", help="write the video with the boxes drawn")
    parser.add_argument("--hyper", help="hyperparameter set (default: the one stored in a model directory, "
                        "else the family's default set), "
                        "optionally with overrides, e.g. got10k,quality_exponent=0.5")


def run(args):
    import numpy as np

    from jaxtrack.boxes import check_initial_box, xywh_to_xyxy
    from jaxtrack.files import atomic_write
    from jaxtrack.eval.result_files import format_boxes
    from jaxtrack.track import tracker_factory
    from jaxtrack.track.video import Frames, Renderer, parse_box, track_video

    xywh = parse_box(args.init)
    frames = Frames(args.video)
    check_initial_box(xywh, frames.size, f"--init {args.init}")  # before any tracker sees it
    factory = tracker_factory(args.model, hyper=args.hyper)
    renderer = Renderer(args.render, frames.fps) if args.render else None
    try:
        boxes, scores, seconds = track_video(factory(), frames, xywh_to_xyxy(xywh), renderer)
    finally:
        if renderer is not None:
            renderer.close()
    steady = seconds[2:]  # frames 0 and 1 compile init and track
    speed = f"{len(steady) / max(float(np.sum(steady)), 1e-12):.1f} fps after the first two frames" if len(steady) else ""
    x, y, x2, y2 = boxes[-1]
    print(f"tracked {len(boxes)} frames in {float(np.sum(seconds)):.2f} s {speed}; last box x,y,w,h = "
          f"{x:.1f},{y:.1f},{x2 - x:.1f},{y2 - y:.1f}; mean score {float(np.mean(scores)):.3f}")
    if args.out:
        atomic_write(args.out, format_boxes(boxes))
        print(f"wrote {args.out}")
    if args.render:
        print(f"wrote {args.render}")
    return 0

