"""Camera frame sources: video file, image folder, synthetic, parsing, missing camera, newest-frame grabber."""
import threading

import numpy as np
import pytest

from workbench.core.capture.camera import (
    CameraSource,
    FrameSource,
    ImageFolderSource,
    LatestFrameGrabber,
    SyntheticCameraSource,
    VideoFileSource,
    list_cameras,
    open_camera,
)
from workbench.core.errors import DataError, DeviceUnavailable
from workbench.core.studies.daynight.live import open_camera_or_scene, synthetic_scene_source


def write_video(path, frames, fps=10.0):
    import cv2

    h, w = frames[0].shape[:2]
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert vw.isOpened()
    for f in frames:
        vw.write(np.ascontiguousarray(f[:, :, ::-1]))  # RGB -> BGR
    vw.release()
    return path


def colour_frames(n, w=64, h=48):
    frames = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[..., i % 3] = 220  # red, green, blue, red, ...
        frames.append(f)
    return frames


def test_video_file_source_reads_rgb_frames_then_none(tmp_path):
    path = write_video(tmp_path / "clip.avi", colour_frames(6))
    with VideoFileSource(path) as src:
        assert src.size == (64, 48)
        assert src.fps == pytest.approx(10.0)
        frames = list(src)
    assert len(frames) == 6
    for i, f in enumerate(frames):
        assert f.shape == (48, 64, 3) and f.dtype == np.uint8
        assert int(np.argmax(f.reshape(-1, 3).mean(0))) == i % 3  # channel order is RGB
    assert not src.is_open


def test_video_file_source_loops(tmp_path):
    path = write_video(tmp_path / "clip.avi", colour_frames(3))
    src = VideoFileSource(path, loop=True).open()
    got = [src.read() for _ in range(7)]
    src.close()
    assert all(f is not None for f in got)
    assert [int(np.argmax(f.reshape(-1, 3).mean(0))) for f in got] == [0, 1, 2, 0, 1, 2, 0]


def test_video_file_source_bad_files(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        VideoFileSource(tmp_path / "nope.mp4").open()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"this is not a video")
    with pytest.raises(DataError, match="could not be opened"):
        VideoFileSource(junk).open()


def test_image_folder_source_skips_bad_files(tmp_path):
    import cv2

    for i, f in enumerate(colour_frames(3, 20, 10)):
        cv2.imwrite(str(tmp_path / f"{i:02d}.png"), f[:, :, ::-1])
    (tmp_path / "01b.jpg").write_bytes(b"broken")
    (tmp_path / "notes.txt").write_text("not an image")
    src = ImageFolderSource(tmp_path, fps=5)
    frames = list(src)
    assert len(frames) == 3 and src.size == (20, 10) and src.fps == 5
    assert [s[0].endswith("01b.jpg") for s in src.skipped] == [True]
    resized = list(ImageFolderSource(tmp_path, resize=(8, 6)))
    assert {f.shape for f in resized} == {(6, 8, 3)}


def test_image_folder_source_empty_folder(tmp_path):
    with pytest.raises(DataError, match="no images"):
        ImageFolderSource(tmp_path).open()


def test_synthetic_source_counts_and_resizes():
    src = SyntheticCameraSource(lambda i: np.full((10, 10, 3), i, np.uint8), size=(32, 24), n_frames=4)
    frames = list(src)
    assert len(frames) == 4
    assert frames[3].shape == (24, 32, 3) and int(frames[3][0, 0, 0]) == 3
    pattern = SyntheticCameraSource(size=(16, 8), n_frames=2)
    a, b = list(pattern)
    assert a.shape == (8, 16, 3) and not np.array_equal(a, b)


def test_open_camera_parses_specs(tmp_path):
    assert isinstance(open_camera("camera:1"), CameraSource) and open_camera("camera:1").index == 1
    assert open_camera(0).index == 0 and open_camera("2").index == 2
    day = open_camera_or_scene("synthetic:day", size=(48, 32), n_frames=3)
    frames = list(day)
    assert len(frames) == 3 and frames[0].shape == (32, 48, 3)
    assert open_camera("synthetic", n_frames=1).name == "synthetic"
    video = write_video(tmp_path / "v.avi", colour_frames(2))
    assert isinstance(open_camera(str(video)), VideoFileSource)
    assert isinstance(open_camera(tmp_path), ImageFolderSource)
    with pytest.raises(DataError, match="neither a camera"):
        open_camera(tmp_path / "missing.mp4")
    with pytest.raises(DataError, match="Unknown synthetic scene"):
        open_camera_or_scene("synthetic:sunrise-on-mars")
    with pytest.raises(DataError, match="Unknown synthetic source"):  # scenes are the Day & Night study's
        open_camera("synthetic:day")
    assert open_camera_or_scene("camera:1").index == 1


def test_missing_camera_says_what_to_do():
    with pytest.raises(DeviceUnavailable) as e:
        CameraSource(63).open()
    msg = str(e.value)
    assert "No camera" in msg and "63" in msg and "video file" in msg
    cams = list_cameras(max_index=2)
    assert isinstance(cams, list) and all(isinstance(i, int) for i in cams)


def test_synthetic_day_and_night_look_different():
    day = next(iter(open_camera_or_scene("synthetic:day", size=(64, 48), n_frames=1)))
    night = next(iter(open_camera_or_scene("synthetic:night", size=(64, 48), n_frames=1)))
    assert day.mean() > night.mean() + 40


def test_grabber_keeps_only_the_newest_frame():
    src = SyntheticCameraSource(lambda i: np.full((4, 4, 3), i, np.uint8), size=(4, 4), n_frames=20)
    g = LatestFrameGrabber(src).start()
    assert g.join(timeout=10)
    no, frame = g.latest()
    assert no == 19 and int(frame[0, 0, 0]) == 19
    assert g.frames_read == 20 and g.dropped == 19 and g.finished and g.error is None
    assert g.wait_newer(after=19, timeout=0.01) is None  # ended: nothing newer comes
    g.stop()
    assert not src.is_open


class GatedSource(FrameSource):
    """Gives frame i only after the test opened gate i: a deterministic camera."""

    name = "gated"

    def __init__(self, n):
        super().__init__()
        self.n, self.i = n, 0
        self.gates = [threading.Event() for _ in range(n)]

    def read(self):
        if self.i >= self.n:
            return None
        self.gates[self.i].wait(5)
        self.i += 1
        return np.full((2, 2, 3), self.i - 1, np.uint8)


def test_grabber_consumer_sees_increasing_frames_and_drops_old_ones():
    src = GatedSource(5)
    with LatestFrameGrabber(src) as g:
        src.gates[0].set()
        assert g.wait_newer(-1, timeout=5)[0] == 0
        src.gates[1].set()
        src.gates[2].set()
        got = g.wait_newer(0, timeout=5)
        # frame 1 may or may not have been replaced yet, but never goes backwards
        assert got[0] in (1, 2)
        if got[0] == 1:
            got = g.wait_newer(1, timeout=5)
        assert got[0] == 2
        for gate in src.gates[3:]:
            gate.set()
        assert g.join(timeout=5)
        assert g.latest()[0] == 4
        assert g.frames_read == 5


def test_grabber_reports_source_errors():
    def boom(i):
        if i == 2:
            raise RuntimeError("sensor unplugged")
        return np.zeros((4, 4, 3), np.uint8)

    g = LatestFrameGrabber(SyntheticCameraSource(boom, size=(4, 4), n_frames=None)).start()
    assert g.join(timeout=5)
    assert isinstance(g.error, RuntimeError) and g.frames_read == 2
    g.stop()


def test_synthetic_source_from_a_scene_kind():
    src = synthetic_scene_source("cycle", size=(40, 30), n_frames=4, fps=2)
    frames = list(src)
    assert src.name == "synthetic:cycle" and len(frames) == 4
    assert frames[0].mean() > frames[2].mean() + 30  # day for a second, then night
    with pytest.raises(DataError):
        synthetic_scene_source("twilight-zone")
