"""``jaxtrack track``: videos and frame folders, rendering, model resolution, bad input."""

import json

import cv2
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from jaxtrack import models
from jaxtrack.cli import main
from jaxtrack.errors import JaxtrackError
from jaxtrack.eval.result_files import read_boxes
from jaxtrack.track import load_model, set_tracker, stored_hyper, tracker_factory
from jaxtrack.train.checkpoint import Checkpointer

from tracking_helpers import random_model

FRAMES, WIDTH, HEIGHT = 24, 160, 120


def _clip_frames():
    """A textured square moving right over a smooth background; its box x,y,w,h = (20 + 3 t, 40, 30, 30)."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH]
    background = np.stack([xx, yy, (xx + yy) // 2], axis=-1).astype(np.uint8)
    texture = rng.integers(0, 255, (30, 30, 3), np.uint8)
    frames = []
    for t in range(FRAMES):
        frame = background.copy()
        frame[40:70, 20 + 3 * t:50 + 3 * t] = texture
        frames.append(frame)
    return frames


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    writer = cv2.VideoWriter(str(folder / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 25.0, (WIDTH, HEIGHT))
    assert writer.isOpened()
    for frame in _clip_frames():
        writer.write(frame)
    writer.release()
    frames_dir = folder / "frames"
    frames_dir.mkdir()
    for t, frame in enumerate(_clip_frames()):
        cv2.imwrite(str(frames_dir / f"{t:05d}.png"), frame)
    (frames_dir / "notes.txt").write_text("not a frame\n")
    return folder


@pytest.fixture(scope="module")
def car_model(tmp_path_factory):
    model, variables = random_model("siamcar_small")
    path = tmp_path_factory.mktemp("models") / "car_small"
    models.save(path, "siamcar_small", {}, variables)
    return path, model, variables


def test_track_video_with_csrt_and_render(clip, tmp_path, capsys):
    out, render = tmp_path / "boxes.txt", tmp_path / "out" / "tracked.mp4"
    assert main(["track", "--model", "csrt", "--video", str(clip / "clip.mp4"), "--init", "20,40,30,30",
                 "--out", str(out), "--render", str(render)]) == 0
    assert f"tracked {FRAMES} frames" in capsys.readouterr().out
    boxes = read_boxes(out, FRAMES)
    truth = np.stack([20 + 3 * np.arange(FRAMES), np.full(FRAMES, 40)], axis=1)
    assert np.abs(boxes[:, :2] - truth).max() < 6  # CSRT follows the square
    video = cv2.VideoCapture(str(render))
    count = 0
    while True:
        ok, frame = video.read()
        if not ok:
            break
        assert frame.shape == (HEIGHT, WIDTH, 3)
        count += 1
    assert count == FRAMES


def test_track_frame_folder_with_saved_model(clip, car_model, tmp_path):
    out = tmp_path / "boxes.txt"
    assert main(["track", "--model", str(car_model[0]), "--video", str(clip / "frames"),
                 "--init", "20.5, 40, 30, 29.5", "--out", str(out), "--hyper", "uav123"]) == 0
    boxes = read_boxes(out, FRAMES)
    np.testing.assert_allclose(boxes[0], [20.5, 40, 50.5, 69.5])
    assert np.all(np.isfinite(boxes)) and np.all(boxes[:, 2:] > boxes[:, :2])
    assert "." in out.read_text().splitlines()[1]  # float boxes


def test_unpadded_frame_names_play_in_numeric_order(tmp_path):
    from jaxtrack.track.video import Frames

    for index in (1, 2, 10, 11):
        cv2.imwrite(str(tmp_path / f"{index}.png"), np.full((8, 8, 3), index, np.uint8))
    assert [int(frame[0, 0, 0]) for frame in Frames(tmp_path)] == [1, 2, 10, 11]


def test_siamese_trackers_build_from_a_model_path(car_model):
    factory = tracker_factory(str(car_model[0]), benchmark="lasot")
    assert factory.name == "lasot" and factory().geometry.family == "siamcar"


def test_load_model_from_training_workdir(car_model, tmp_path):
    _, model, variables = car_model
    checkpointer = Checkpointer(tmp_path / "run")
    state = {"params": variables["params"], "batch_stats": variables["batch_stats"], "step": jnp.asarray(7)}
    checkpointer.save(7, state, data_state={"epoch": 0}, config={"model": {"name": "siamcar_small"}})
    checkpointer.close()
    loaded_model, loaded = load_model(tmp_path / "run")
    assert loaded_model == model
    assert jax.tree.structure(loaded) == jax.tree.structure(variables)
    for got, expected in zip(jax.tree.leaves(loaded), jax.tree.leaves(variables)):
        np.testing.assert_array_equal(got, expected)


def test_model_directory_stores_the_tracker_hyper(car_model, tmp_path):
    _, _, variables = car_model
    path = tmp_path / "car"
    models.save(path, "siamcar_small", {}, variables)
    set_tracker(path, "got10k,lost_score=0.3")
    metadata = json.loads((path / models.model_files.METADATA).read_text())
    assert metadata["tracker"] == {"hyper": "got10k,lost_score=0.3"}
    assert stored_hyper(path) == "got10k,lost_score=0.3"
    stored = tracker_factory(str(path), benchmark="lasot")  # the stored set beats the benchmark's
    assert stored.name == "got10k,lost_score=0.3" and float(stored.weights.hyper.lost_score) == pytest.approx(0.3)
    assert tracker_factory(str(path), hyper="uav123", benchmark="lasot").name == "uav123"  # --hyper beats both
    set_tracker(path, None)
    assert "tracker" not in json.loads((path / models.model_files.METADATA).read_text())
    assert stored_hyper(path) is None and tracker_factory(str(path), benchmark="lasot").name == "lasot"


def test_bad_stored_tracker_hyper_is_an_error_naming_the_file(car_model, clip, tmp_path, capsys):
    _, _, variables = car_model
    path = tmp_path / "car"
    models.save(path, "siamcar_small", {}, variables)
    metadata_file = path / models.model_files.METADATA
    before = metadata_file.read_text()
    for bad, message in (("vot", "unknown siamcar hyperparameter set 'vot'"), ("otb,lr=fast", "not a number")):
        with pytest.raises(JaxtrackError, match=f"jaxtrack_model.json: tracker hyper '{bad}': .*{message}"):
            set_tracker(path, bad)
    assert metadata_file.read_text() == before
    metadata = json.loads(before)
    for bad, message in (({"hyper": "vot"}, "unknown siamcar"), ({"hyper": 0.3}, "must be a string"),
                         ("otb", "one key 'hyper'")):
        metadata_file.write_text(json.dumps({**metadata, "tracker": bad}))
        assert main(["track", "--model", str(path), "--video", str(clip / "clip.mp4"), "--init", "20,40,30,30"]) == 2
        err = capsys.readouterr().err
        assert str(metadata_file) in err and message in err and "Traceback" not in err, err
    assert main(["track", "--model", str(path), "--hyper", "otb", "--video", str(clip / "frames"),
                 "--init", "20,40,30,30", "--out", str(tmp_path / "b.txt")]) == 0  # --hyper does not read it


def test_track_uses_the_stored_hyper_and_export_stores_one(car_model, clip, tmp_path, capsys):
    _, _, variables = car_model
    checkpointer = Checkpointer(tmp_path / "run")
    state = {"params": variables["params"], "batch_stats": variables["batch_stats"], "step": jnp.asarray(3)}
    checkpointer.save(3, state, data_state={"epoch": 0}, config={"model": {"name": "siamcar_small"}})
    checkpointer.close()
    assert main(["export", "--workdir", str(tmp_path / "run"), "--out", str(tmp_path / "bad"), "--hyper", "vot"]) == 2
    assert "tracker hyper 'vot'" in capsys.readouterr().err and not (tmp_path / "bad").exists()
    out = tmp_path / "held"
    assert main(["export", "--workdir", str(tmp_path / "run"), "--out", str(out), "--hyper", "otb,lost_score=2"]) == 0
    assert stored_hyper(out) == "otb,lost_score=2"
    boxes = tmp_path / "boxes.txt"  # every score is below 2: lost mode holds the first box
    assert main(["track", "--model", str(out), "--video", str(clip / "frames"), "--init", "20,40,30,30",
                 "--out", str(boxes)]) == 0
    np.testing.assert_allclose(read_boxes(boxes, FRAMES), np.tile([20.0, 40.0, 50.0, 70.0], (FRAMES, 1)), atol=1e-3)


@pytest.mark.parametrize("video,init,message", [
    ("notes", "1,1,5,5", "cannot open as a video"),
    ("empty", "1,1,5,5", "no image files"),
    ("missing.mp4", "1,1,5,5", "no such file"),
    ("clip.mp4", "1,2,3", "expected four numbers"),
    ("clip.mp4", "a,b,c,d", "expected four numbers"),
    ("clip.mp4", "1,2,0,5", "at least 0.1 px"),
    ("clip.mp4", "500,10,20,20", "on the 160x120 first frame: it lies outside the frame"),
])
def test_track_bad_input(clip, tmp_path, capsys, video, init, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").write_text("not a video\n")
    path = clip / video if video.startswith("clip") else tmp_path / video
    assert main(["track", "--model", "csrt", "--video", str(path), "--init", init,
                 "--out", str(tmp_path / "b.txt")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "b.txt").exists()


def test_bad_model_is_a_clear_error(clip, tmp_path, capsys):
    assert main(["track", "--model", str(tmp_path / "nothing"), "--video", str(clip / "clip.mp4"),
                 "--init", "1,1,5,5"]) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main(["track", "--model", "csrt", "--hyper", "otb", "--video", str(clip / "clip.mp4"),
                 "--init", "1,1,5,5"]) == 2
    assert "--hyper applies to Siamese trackers" in capsys.readouterr().err
