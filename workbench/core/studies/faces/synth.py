"""Generated identities for tests and demos.

No face data set with identity labels ships offline, so we make two kinds of people:

* drawn people: per-person geometry (face shape, eye spacing and size, nose, mouth, skin tone,
  hair style and colour, brows) that stays fixed, and per-shot variation (position, scale, tilt,
  a yaw-like shift of the features, lighting gradient, expression, background, noise, blur).
  Two shots of the same person differ; two people differ in what a person cannot change.
* photo people: each real face crop in ``skimage.data.lfw_subset()`` (25x25, no identity labels)
  seeds one "identity" whose shots are photometric/geometric augmentations of that crop. These
  are real faces (the Haar cascade finds them once enlarged) but "same person" only means "same
  photo, changed" — good for detection and pipeline tests, weak as an identity benchmark.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

_SKIN = np.array(
    [[255, 224, 196], [241, 194, 160], [224, 172, 128], [198, 134, 96], [160, 104, 70], [110, 72, 48]],
    dtype=np.float64,
)
_HAIR = np.array(
    [[20, 16, 14], [60, 40, 25], [110, 75, 40], [190, 150, 90], [150, 60, 30], [130, 130, 130]],
    dtype=np.float64,
)


@dataclass(frozen=True)
class FaceIdentity:
    """What does not change between two photos of the same drawn person (fractions of face size)."""

    name: str
    face_w: float      # half width of the face ellipse
    face_h: float      # half height
    jaw: float         # 0 round .. 1 narrow chin
    skin: tuple[float, float, float]
    hair: tuple[float, float, float]
    hair_style: int    # 0 short, 1 long at the sides, 2 receding, 3 fringe
    eye_dx: float      # half the distance between the eyes
    eye_y: float       # eye height (negative = above centre)
    eye_r: float
    iris: tuple[float, float, float]
    brow_y: float
    brow_tilt: float
    brow_w: float
    nose_len: float
    nose_w: float
    mouth_y: float
    mouth_w: float
    lip: tuple[float, float, float]
    beard: bool
    glasses: bool

    def to_dict(self) -> dict:
        return asdict(self)


def random_identity(rng: np.random.Generator, name: str) -> FaceIdentity:
    def mix(table):
        i = rng.integers(len(table))
        j = min(len(table) - 1, i + 1)
        t = rng.random()
        return tuple(float(v) for v in table[i] * (1 - t) + table[j] * t)

    return FaceIdentity(
        name=name,
        face_w=float(rng.uniform(0.30, 0.40)),
        face_h=float(rng.uniform(0.40, 0.48)),
        jaw=float(rng.uniform(0.0, 1.0)),
        skin=mix(_SKIN),
        hair=mix(_HAIR),
        hair_style=int(rng.integers(4)),
        eye_dx=float(rng.uniform(0.11, 0.17)),
        eye_y=float(rng.uniform(-0.12, -0.04)),
        eye_r=float(rng.uniform(0.030, 0.050)),
        iris=tuple(float(v) for v in rng.uniform(20, 140, 3)),
        brow_y=float(rng.uniform(0.06, 0.10)),
        brow_tilt=float(rng.uniform(-0.04, 0.04)),
        brow_w=float(rng.uniform(0.010, 0.025)),
        nose_len=float(rng.uniform(0.08, 0.16)),
        nose_w=float(rng.uniform(0.03, 0.07)),
        mouth_y=float(rng.uniform(0.18, 0.27)),
        mouth_w=float(rng.uniform(0.07, 0.14)),
        lip=tuple(float(v) for v in rng.uniform([140, 50, 50], [210, 110, 110])),
        beard=bool(rng.random() < 0.2),
        glasses=bool(rng.random() < 0.2),
    )


def make_identities(n: int, seed: int = 0, prefix: str = "person") -> list[FaceIdentity]:
    rng = np.random.default_rng(seed)
    return [random_identity(rng, f"{prefix}_{i:02d}") for i in range(n)]


def _col(c, gain=1.0):
    return tuple(float(np.clip(v * gain, 0, 255)) for v in c)


def draw_face(identity: FaceIdentity, rng: np.random.Generator, size: int = 96,
              variation: float = 1.0, canvas: np.ndarray | None = None,
              center: tuple[int, int] | None = None) -> np.ndarray:
    """One RGB uint8 shot of ``identity``; ``variation`` scales the per-shot changes (0 = canonical).

    With ``canvas`` and ``center`` the face (``size`` pixels tall) is painted into that frame instead.
    """
    import cv2

    v = float(variation)
    ss = 4  # supersampling for smooth edges
    if canvas is None:
        S = size * ss
        bg = rng.uniform(40, 220, 3) if v > 0 else np.array([128.0, 128.0, 128.0])
        img = np.empty((S, S, 3), np.float32)
        img[:] = bg
        cx0, cy0 = S / 2, S / 2
        out_shape = None
    else:
        H, W = canvas.shape[:2]
        img = cv2.resize(canvas, (W * ss, H * ss), interpolation=cv2.INTER_NEAREST).astype(np.float32)
        S = size * ss
        cx0, cy0 = center[0] * ss, center[1] * ss
        out_shape = (W, H)
    u = S * rng.uniform(0.92, 1.05) ** v if v else S  # scale of this shot
    cx = cx0 + (rng.normal(0, 0.04) * S * v)
    cy = cy0 + (rng.normal(0, 0.04) * S * v)
    yaw = float(np.clip(rng.normal(0, 0.05 * v), -0.09, 0.09))  # features slide sideways on turning
    light = rng.uniform(0.75, 1.2) if v else 1.0
    smile = rng.uniform(-0.3, 1.0) if v else 0.3
    mouth_open = rng.uniform(0, 1) < 0.3 * v
    blink = rng.uniform(0, 1) < 0.08 * v
    idn = identity

    def P(x, y):  # face-fraction coordinates -> pixels
        return int(round(cx + x * u)), int(round(cy + y * u))

    def L(r):
        return max(1, int(round(r * u)))

    skin = _col(idn.skin, light)
    hair = _col(idn.hair, light)
    lt = cv2.LINE_AA
    fw, fh = idn.face_w, idn.face_h
    # hair behind the head
    if idn.hair_style == 1:
        cv2.ellipse(img, P(0, 0.02), (L(fw + 0.06), L(fh + 0.06)), 0, 180, 360, hair, -1, lt)
        cv2.rectangle(img, P(-fw - 0.06, 0.0), P(fw + 0.06, 0.35), hair, -1, lt)
    # neck
    cv2.rectangle(img, P(-fw * 0.45, fh * 0.6), P(fw * 0.45, fh + 0.2), _col(idn.skin, light * 0.85), -1, lt)
    # face: ellipse; a narrow jaw is a second, narrower ellipse for the lower half
    cv2.ellipse(img, P(0, 0), (L(fw), L(fh * 0.8)), 0, 0, 360, skin, -1, lt)
    jaw_w = fw * (1.0 - 0.35 * idn.jaw)
    cv2.ellipse(img, P(0, 0.02), (L(jaw_w), L(fh)), 0, 0, 180, skin, -1, lt)
    # hair on top
    if idn.hair_style in (0, 1, 3):
        cv2.ellipse(img, P(0, -fh * 0.55), (L(fw * 1.02), L(fh * 0.5)), 0, 180, 360, hair, -1, lt)
    if idn.hair_style == 2:
        cv2.ellipse(img, P(0, -fh * 0.5), (L(fw * 1.02), L(fh * 0.5)), 0, 195, 345, hair, L(0.05), lt)
    if idn.hair_style == 3:
        cv2.ellipse(img, P(-0.05, -fh * 0.62), (L(fw * 0.9), L(0.12)), -10, 0, 180, hair, -1, lt)
    if idn.beard:
        cv2.ellipse(img, P(0, 0.1), (L(jaw_w), L(fh * 0.9)), 0, 10, 170, _col(idn.hair, light * 1.1), L(0.05), lt)
    # features, slid sideways by the yaw
    for side in (-1, 1):
        ex = side * idn.eye_dx + yaw
        ey = idn.eye_y
        cv2.ellipse(img, P(ex, ey), (L(idn.eye_r * 1.6), L(idn.eye_r * (0.25 if blink else 0.9))),
                    0, 0, 360, (245, 245, 245), -1, lt)
        if not blink:
            cv2.circle(img, P(ex + yaw * 0.3, ey), L(idn.eye_r * 0.75), _col(idn.iris, light), -1, lt)
            cv2.circle(img, P(ex + yaw * 0.3, ey), L(idn.eye_r * 0.35), (10, 10, 10), -1, lt)
        by = ey - idn.brow_y
        cv2.line(img, P(ex - side * 0.06, by + idn.brow_tilt), P(ex + side * 0.06, by - idn.brow_tilt),
                 _col(idn.hair, light * 0.8), L(idn.brow_w), lt)
        if idn.glasses:
            cv2.circle(img, P(ex, ey), L(idn.eye_r * 2.3), (30, 30, 30), L(0.012), lt)
    if idn.glasses:
        cv2.line(img, P(-idn.eye_dx + yaw + idn.eye_r * 2.3, idn.eye_y), P(idn.eye_dx + yaw - idn.eye_r * 2.3, idn.eye_y),
                 (30, 30, 30), L(0.012), lt)
    nose_shadow = _col(idn.skin, light * 0.7)
    nx = yaw * 1.3
    pts = np.array([P(nx, idn.eye_y + 0.03), P(nx - idn.nose_w, idn.eye_y + 0.03 + idn.nose_len),
                    P(nx + idn.nose_w, idn.eye_y + 0.03 + idn.nose_len)], np.int32)
    cv2.polylines(img, [pts], False, nose_shadow, L(0.012), lt)
    mx, my = yaw, idn.mouth_y
    if mouth_open:
        cv2.ellipse(img, P(mx, my), (L(idn.mouth_w * 0.8), L(0.035)), 0, 0, 360, (60, 20, 20), -1, lt)
    cv2.ellipse(img, P(mx, my - 0.02 * smile), (L(idn.mouth_w), L(0.005 + 0.04 * max(smile, 0.05))),
                0, 0 if smile >= 0 else 180, 180 if smile >= 0 else 360, _col(idn.lip, light), L(0.018), lt)
    # lighting: a soft gradient across the face (light from a random side)
    if v > 0:
        ang = rng.uniform(0, 2 * np.pi)
        yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]].astype(np.float32)
        g = ((xx - cx) * np.cos(ang) + (yy - cy) * np.sin(ang)) / u
        img *= (1.0 + 0.35 * v * g)[..., None].clip(0.4, 1.6)
    # in-plane tilt about the face centre
    if v > 0:
        M = cv2.getRotationMatrix2D((float(cx), float(cy)), float(rng.normal(0, 6 * v)), 1.0)
        img = cv2.warpAffine(img, M, (img.shape[1], img.shape[0]), borderMode=cv2.BORDER_REFLECT)
    if out_shape is None:
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA)
    else:
        img = cv2.resize(img, out_shape, interpolation=cv2.INTER_AREA)
    if v > 0:
        blur = rng.uniform(0, 1.0 * v)
        if blur > 0.3:
            img = cv2.GaussianBlur(img, (0, 0), blur)
        img = img + rng.normal(0, 4 * v, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def drawn_people(n_people: int, shots: int, seed: int = 0, size: int = 64, variation: float = 1.0,
                 prefix: str = "person") -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(images N,size,size,3 uint8, labels N int64, names): ``shots`` drawn photos of each person."""
    ids = make_identities(n_people, seed=seed, prefix=prefix)
    rng = np.random.default_rng(seed + 1_000_003)
    X = np.stack([draw_face(p, rng, size=size, variation=variation) for p in ids for _ in range(shots)])
    y = np.repeat(np.arange(n_people, dtype=np.int64), shots)
    return X, y, [p.name for p in ids]


def lfw_faces() -> np.ndarray:
    """The 100 real 25x25 face crops of ``skimage.data.lfw_subset()`` as RGB uint8 (100, 25, 25, 3)."""
    try:
        from skimage import data as skdata
    except ImportError as e:  # scikit-image is a data extra
        from workbench.core.errors import DataError

        raise DataError("scikit-image is not installed; install the 'data' extra to use its face photos.") from e
    g = (skdata.lfw_subset()[:100] * 255).round().astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=-1)


def augment_photo(img: np.ndarray, rng: np.random.Generator, size: int = 64, variation: float = 1.0) -> np.ndarray:
    """A changed shot of a face photo: shift, scale, tilt, flip, brightness/contrast, blur, noise."""
    import cv2

    v = float(variation)
    src = cv2.resize(img, (size, size), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    ang = rng.normal(0, 8 * v)
    sc = rng.uniform(0.92, 1.08) ** v
    M = cv2.getRotationMatrix2D((size / 2, size / 2), float(ang), float(sc))
    M[:, 2] += rng.normal(0, 0.04 * size * v, 2)
    out = cv2.warpAffine(src, M, (size, size), borderMode=cv2.BORDER_REFLECT)
    if rng.random() < 0.5 * v:
        out = out[:, ::-1]
    out = (out - 128) * rng.uniform(0.8, 1.2) ** v + 128 + rng.normal(0, 15 * v)
    if rng.random() < 0.3 * v:
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(0.3, 1.0))
    out = out + rng.normal(0, 3 * v, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def photo_people(n_people: int, shots: int, seed: int = 0, size: int = 64, variation: float = 1.0,
                 first: int = 0) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Augmented shots of LFW crops ``first .. first+n_people-1`` (one "identity" per crop)."""
    faces = lfw_faces()
    if first + n_people > len(faces):
        raise ValueError(f"only {len(faces)} LFW crops ship with scikit-image")
    rng = np.random.default_rng(seed)
    X = np.stack([augment_photo(faces[first + p], rng, size, variation) for p in range(n_people) for _ in range(shots)])
    y = np.repeat(np.arange(n_people, dtype=np.int64), shots)
    return X, y, [f"lfw_{first + p:03d}" for p in range(n_people)]


def scene_with_face(face: np.ndarray, frame_size: tuple[int, int] = (640, 480), face_px: int = 160,
                    center: tuple[int, int] | None = None, rng: np.random.Generator | None = None) -> np.ndarray:
    """A ``frame_size`` (w, h) RGB frame with ``face`` (an RGB crop) pasted at ``center``, ``face_px`` tall."""
    import cv2

    rng = rng or np.random.default_rng(0)
    w, h = frame_size
    frame = np.empty((h, w, 3), np.uint8)
    base = rng.uniform(60, 200, 3)
    yy = np.linspace(0.8, 1.2, h)[:, None, None]
    frame[:] = np.clip(base[None, None, :] * yy, 0, 255).astype(np.uint8)
    center = center or (w // 2, h // 2)
    f = cv2.resize(face, (face_px, face_px), interpolation=cv2.INTER_CUBIC)
    x0, y0 = center[0] - face_px // 2, center[1] - face_px // 2
    xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + face_px), min(h, y0 + face_px)
    frame[ya:yb, xa:xb] = f[ya - y0:yb - y0, xa - x0:xb - x0]
    return frame


def face_video_frames(faces: list[np.ndarray], n_frames: int, frame_size: tuple[int, int] = (640, 480),
                      face_px: int = 150, seed: int = 0):
    """Frames (RGB uint8) of a scene where each face in ``faces`` drifts slowly across its own lane,
    as a webcam would see people sitting still. A generator: frames are made one at a time."""
    import cv2

    rng = np.random.default_rng(seed)
    w, h = frame_size
    n = len(faces)
    base = np.empty((h, w, 3), np.uint8)
    base[:] = np.clip(rng.uniform(70, 190, 3)[None, None, :] * np.linspace(0.85, 1.15, h)[:, None, None], 0, 255)
    resized = [cv2.resize(f, (face_px, face_px), interpolation=cv2.INTER_CUBIC) for f in faces]
    lanes = [(int(w * (k + 0.5) / n), h // 2) for k in range(n)]
    phase = rng.uniform(0, 2 * np.pi, n)
    for i in range(n_frames):
        frame = base.copy()
        for k, f in enumerate(resized):
            cx = int(lanes[k][0] + 12 * np.sin(0.15 * i + phase[k]))
            cy = int(lanes[k][1] + 8 * np.cos(0.11 * i + phase[k]))
            x0, y0 = cx - face_px // 2, cy - face_px // 2
            xa, ya, xb, yb = max(0, x0), max(0, y0), min(w, x0 + face_px), min(h, y0 + face_px)
            frame[ya:yb, xa:xb] = f[ya - y0:yb - y0, xa - x0:xb - x0]
        frame = np.clip(frame.astype(np.int16) + rng.integers(-3, 4, frame.shape), 0, 255).astype(np.uint8)
        yield frame


def write_video(path, frames, fps: float = 15.0) -> int:
    """Write RGB frames to an MJPG .avi (readable by every OpenCV build); returns the frame count."""
    import cv2

    writer = None
    n = 0
    try:
        for f in frames:
            if writer is None:
                h, w = f.shape[:2]
                writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), float(fps), (w, h))
                if not writer.isOpened():
                    raise OSError(f"OpenCV cannot write the video {path}")
            writer.write(np.ascontiguousarray(f[..., ::-1]))
            n += 1
    finally:
        if writer is not None:
            writer.release()
    return n
