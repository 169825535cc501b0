"""Style transfer core: backbones, losses, optimization, colours, mask, pause/resume, weight files."""
from __future__ import annotations

import json
import pickle
import threading

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from workbench.core.errors import ProjectError, WorkbenchError
from workbench.core.studies.style_transfer import (
    FeatureExtractor,
    StyleProgress,
    StyleSettings,
    StyleTransfer,
    content_loss,
    generate_style,
    get_backbone,
    gram_matrix,
    keep_luminance,
    load_image,
    sample_photo,
    style_loss,
    tv_loss,
)
from workbench.core.models.backbones import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    VGG19Features,
    load_mobilenet_v2,
    load_vgg19,
)
from workbench.core.studies.style_transfer.images import rgb_to_ycbcr
from workbench.core.studies.style_transfer.transfer import to_uint8


def _vgg_shapes() -> dict:
    with torch.device("meta"):  # shapes only, no 20M-parameter initialisation
        return {k: tuple(v.shape) for k, v in VGG19Features().state_dict().items()}

CAT_CLASSES = {281, 282, 285}  # tabby, tiger cat, Egyptian cat
ESPRESSO = 967


def _imagenet_input(img: np.ndarray, mean, std) -> torch.Tensor:
    """The standard evaluation transform: resize short side to 256, centre-crop 224, normalize."""
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float() / 255
    h, w = x.shape[-2:]
    s = 256 / min(h, w)
    x = F.interpolate(x, size=(round(h * s), round(w * s)), mode="bilinear", antialias=True, align_corners=False)
    h, w = x.shape[-2:]
    t, l = (h - 224) // 2, (w - 224) // 2
    x = x[..., t:t + 224, l:l + 224]
    return (x - torch.tensor(mean).view(1, 3, 1, 1)) / torch.tensor(std).view(1, 3, 1, 1)


@pytest.fixture(scope="module")
def photos():
    return {n: sample_photo(n) for n in ("chelsea", "coffee")}


def _small(img: np.ndarray, size: int) -> np.ndarray:
    x = torch.from_numpy(img).permute(2, 0, 1)[None].float()
    h, w = img.shape[:2]
    s = size / max(h, w)
    x = F.interpolate(x, size=(round(h * s), round(w * s)), mode="bilinear", antialias=True, align_corners=False)
    return x[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy().copy()


# ------------------------------------------------------------------ feature extraction vs reference outputs
@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_lite0"])
def test_backbone_classifies_reference_photos(name, photos):
    """Loaded right, both ImageNet nets call skimage's cat a cat and its coffee an espresso."""
    info = get_backbone(name)
    net = info.classifier
    with torch.no_grad():
        cat = net(_imagenet_input(photos["chelsea"], info.mean, info.std)).softmax(1)[0]
        cup = net(_imagenet_input(photos["coffee"], info.mean, info.std)).softmax(1)[0]
    assert int(cat.argmax()) in CAT_CLASSES
    assert float(cat[list(CAT_CLASSES)].sum()) > 0.8
    assert int(cup.argmax()) == ESPRESSO


@pytest.mark.parametrize("name", ["mobilenet_v2", "efficientnet_lite0"])
def test_fast_feature_extractor_matches_the_plain_backbone(name, photos):
    """BN folding, truncation and channels_last change speed, not the features."""
    info = get_backbone(name)
    layers = [info.default_content, *info.default_style]
    img = torch.from_numpy(_small(photos["chelsea"], 96)).permute(2, 0, 1)[None].float().div(255).contiguous()
    fast = FeatureExtractor(info, layers, fuse_bn=True, channels_last=True)
    with torch.no_grad():
        got = fast(img)
        x = (img - torch.tensor(info.mean).view(1, 3, 1, 1)) / torch.tensor(info.std).view(1, 3, 1, 1)
        want = {}
        for lname, stage in info.stages:  # the loaded network itself, unmodified, stage by stage
            x = stage(x)
            if lname in layers:
                want[lname] = x.clone()
            if len(want) == len(set(layers)):
                break
    assert set(got) == set(layers)
    for k in layers:
        assert got[k].shape == want[k].shape
        torch.testing.assert_close(got[k].contiguous(), want[k], rtol=1e-3, atol=1e-3 * float(want[k].abs().max()))
    # truncated after the deepest needed layer
    assert len(fast.stages) == max(info.layer_names.index(n) for n in layers) + 1


def test_mobilenet_features_match_torchvision_layout_keys():
    net = load_mobilenet_v2()
    keys = net.state_dict().keys()
    assert "features.0.0.weight" in keys and "features.1.conv.1.weight" in keys
    assert "features.18.1.running_var" in keys and "classifier.1.bias" in keys


def test_unknown_layer_is_a_clear_error():
    with pytest.raises(WorkbenchError, match="no layer 'relu9_9'"):
        FeatureExtractor(get_backbone("mobilenet_v2"), ["relu9_9"])


# ------------------------------------------------------------------ losses vs hand-computed values
def test_gram_matrix_by_hand():
    # C=2, H=1, W=2: channel a = [1, 2], channel b = [3, 4]
    f = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    g = gram_matrix(f)
    # aa = 1+4 = 5, ab = 3+8 = 11, bb = 9+16 = 25, divided by C*H*W = 4
    torch.testing.assert_close(g, torch.tensor([[5.0, 11.0], [11.0, 25.0]]) / 4)
    # channels_last input gives the same numbers
    torch.testing.assert_close(gram_matrix(f.contiguous(memory_format=torch.channels_last)), g)
    # mask keeping only the second position: F diag(m) F^T / (C * sum m) = [[4, 8], [8, 16]] / 2
    torch.testing.assert_close(gram_matrix(f, torch.tensor([[0.0, 1.0]])), torch.tensor([[4.0, 8.0], [8.0, 16.0]]) / 2)
    # an all-ones mask is the unmasked Gram matrix
    torch.testing.assert_close(gram_matrix(f, torch.ones(1, 2)), g)


def test_content_style_tv_losses_by_hand():
    a = torch.tensor([[[[1.0, 2.0]], [[3.0, 4.0]]]])
    b = torch.tensor([[[[1.0, 0.0]], [[3.0, 6.0]]]])
    assert float(content_loss(a, b)) == pytest.approx((0 + 4 + 0 + 4) / 4)
    ga, gb = gram_matrix(a), gram_matrix(b)
    # gb = [[1, 3], [3, 45]] / 4 ; diff vs ga: [[4, 8], [8, -20]] / 4 = [[1, 2], [2, -5]]
    assert float(style_loss([ga], [gb])) == pytest.approx((1 + 4 + 4 + 25) / 4)
    assert float(style_loss([ga, ga], [gb, ga])) == pytest.approx(34 / 4)
    img = torch.tensor([[[[0.0, 1.0], [0.0, 3.0]]]])  # dy: [0, 2] ; dx: [1, 3]
    assert float(tv_loss(img)) == pytest.approx((0 + 4) / 2 + (1 + 9) / 2)


def test_weighted_terms_add_up():
    c = _small(sample_photo("chelsea"), 64)
    st = StyleTransfer(c, generate_style("stripes", 64, 0),
                       StyleSettings(size=64, content_weight=2.0, style_weight=3.0, tv_weight=5.0, init="noise"))
    with torch.no_grad():
        t = st.losses(st.x)
        feats = st.extractor(st.x)
        raw_c = content_loss(feats[st.content_layer], st.content_target)
        raw_s = style_loss([gram_matrix(feats[n]) for n in st.style_layers], st.style_targets)
    assert float(t["content"]) == pytest.approx(2.0 * float(raw_c), rel=1e-5)
    assert float(t["style"]) == pytest.approx(3.0 * float(raw_s), rel=1e-5)
    assert float(t["tv"]) == pytest.approx(5.0 * float(tv_loss(st.x.detach())), rel=1e-5)
    assert float(t["total"]) == pytest.approx(float(t["content"] + t["style"] + t["tv"]), rel=1e-6)


# ------------------------------------------------------------------ optimization
@pytest.fixture(scope="module")
def small_pair():
    return _small(sample_photo("chelsea"), 64), generate_style("swirls", 64, 1)


def test_loss_falls_by_an_order_of_magnitude(small_pair):
    content, style = small_pair
    st = StyleTransfer(content, style, StyleSettings(size=64, report_every=5))
    reports: list[StyleProgress] = []
    st.add_callback(reports.append)
    st.step(1)
    first = st.history[0]["total"]
    st.step(29)
    assert st.iteration == 30
    assert st.history[-1]["total"] < first / 10
    assert [p.iteration for p in reports] == [5, 10, 15, 20, 25, 30]
    p = reports[-1]
    assert p.image.dtype == np.uint8 and p.image.shape == (43, 64, 3)
    assert p.its_per_s > 0 and p.total == pytest.approx(p.content + p.style + p.tv, rel=1e-5)
    # the image handed out is a copy: later steps do not change it
    before = p.image.copy()
    st.step(1)
    np.testing.assert_array_equal(p.image, before)


def test_adam_and_inits_run(small_pair):
    content, style = small_pair
    for init in ("noise", "style"):
        st = StyleTransfer(content, style, StyleSettings(size=48, optimizer="adam", init=init, seed=3))
        st.step(3)
        assert st.history[-1]["total"] < st.history[0]["total"]
    a = StyleTransfer(content, style, StyleSettings(size=48, init="noise", seed=3)).x.detach()
    b = StyleTransfer(content, style, StyleSettings(size=48, init="noise", seed=3)).x.detach()
    torch.testing.assert_close(a, b)


def test_efficientnet_run_with_its_default_style_weight(small_pair):
    content, style = small_pair
    s = StyleSettings.for_backbone("efficientnet_lite0", size=48)
    assert s.style_weight == 10.0 and StyleSettings.for_backbone("mobilenet_v2").style_weight == 1e5
    st = StyleTransfer(content, style, s)
    st.step(8)
    h = st.history
    assert h[-1]["total"] < 0.8 * h[0]["total"]
    # content and style terms are within a few orders of magnitude of each other (balanced defaults)
    assert 1e-3 < h[-1]["content"] / h[-1]["style"] < 1e3


def test_bad_settings_are_clear_errors(small_pair):
    content, style = small_pair
    with pytest.raises(WorkbenchError, match="optimizer"):
        StyleTransfer(content, style, StyleSettings(size=48, optimizer="sgd"))
    with pytest.raises(WorkbenchError, match="Resolution"):
        StyleTransfer(content, style, StyleSettings(size=4))
    with pytest.raises(WorkbenchError, match="mask is empty"):
        StyleTransfer(content, style, StyleSettings(size=48), mask=np.zeros((10, 10)))


def test_keep_colors_preserves_the_content_chroma(small_pair):
    content, style = small_pair
    runs = {}
    for keep in (False, True):
        st = StyleTransfer(content, style, StyleSettings(size=64, keep_colors=keep, style_weight=1e6))
        st.step(15)
        runs[keep] = st
    ref = rgb_to_ycbcr(runs[True]._content_u8 / 255.0)
    chroma_err = {k: np.abs(rgb_to_ycbcr(r.image() / 255.0)[..., 1:] - ref[..., 1:]).mean() for k, r in runs.items()}
    assert chroma_err[True] < 0.01 < chroma_err[False]
    # the luminance (the stylized structure) is the run's own, not the content's
    y_kept = rgb_to_ycbcr(runs[True].image() / 255.0)[..., 0]
    y_raw = rgb_to_ycbcr(to_uint8(runs[True].composite(runs[True].x)) / 255.0)[..., 0]
    assert np.abs(y_kept - y_raw).mean() < 0.01
    assert np.abs(y_kept - ref[..., 0]).mean() > 0.02


def test_keep_luminance_by_hand():
    gen = np.full((2, 2, 3), [200, 50, 50], np.uint8)
    con = np.full((2, 2, 3), [40, 90, 200], np.uint8)
    out = keep_luminance(gen, con).astype(float) / 255
    y = rgb_to_ycbcr(out)
    np.testing.assert_allclose(y[..., 0], rgb_to_ycbcr(gen / 255.0)[..., 0], atol=3 / 255)
    np.testing.assert_allclose(y[..., 1:], rgb_to_ycbcr(con / 255.0)[..., 1:], atol=3 / 255)


def test_mask_applies_style_only_inside(small_pair):
    content, style = small_pair
    h, w = content.shape[:2]
    mask = np.zeros((h, w), np.float32)
    mask[:, : w // 2] = 1.0
    st = StyleTransfer(content, style, StyleSettings(size=64, style_weight=1e6), mask=mask)
    st.step(10)
    out = st.image().astype(int)
    base = st._content_u8.astype(int)
    np.testing.assert_array_equal(out[:, w // 2 + 1:], base[:, w // 2 + 1:])  # outside: the content, exactly
    assert np.abs(out[:, : w // 2 - 1] - base[:, : w // 2 - 1]).mean() > 5  # inside: stylized
    assert st.history[-1]["style"] < st.history[0]["style"]


def test_pause_resume_and_stop_between_iterations(small_pair):
    content, style = small_pair
    st = StyleTransfer(content, style, StyleSettings(size=48, report_every=1))
    at_pause = threading.Event()

    def on_progress(p):
        if p.iteration == 2 and not p.finished:
            st.pause()
            at_pause.set()

    st.add_callback(on_progress)
    result = {}
    worker = threading.Thread(target=lambda: result.setdefault("img", st.run(6)))
    worker.start()
    assert st.waiting.wait(60), "worker did not pause"
    assert at_pause.is_set() and st.paused
    assert st.iteration == 2  # blocked between iterations, nothing ran while paused
    st.resume()
    worker.join(60)
    assert not worker.is_alive()
    assert st.iteration == 6 and result["img"].shape[2] == 3

    # stop while paused: the worker wakes up and ends without further iterations
    st2 = StyleTransfer(content, style, StyleSettings(size=48, report_every=1))
    st2.add_callback(lambda p: st2.pause() if p.iteration == 1 else None)
    t2 = threading.Thread(target=st2.run, args=(50,))
    t2.start()
    assert st2.waiting.wait(60)
    st2.request_stop()
    t2.join(60)
    assert not t2.is_alive() and st2.iteration == 1 and st2.stopped


def test_save_png_and_settings(tmp_path, small_pair):
    content, style = small_pair
    s = StyleSettings(size=48, style_weight=123.0, keep_colors=True)
    st = StyleTransfer(content, style, s)
    st.step(2)
    png, js = st.save(tmp_path / "out.png", {"content_source": "sample:chelsea"})
    img = load_image(png)
    np.testing.assert_array_equal(img, st.image())
    meta = json.loads(js.read_text())
    assert meta["iterations"] == 2 and meta["content_source"] == "sample:chelsea"
    assert meta["layers_used"] == {"content": st.content_layer, "style": st.style_layers}
    assert StyleSettings.from_dict(meta) == StyleSettings.from_dict(s.to_dict()) == s
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_generated_styles_are_deterministic_textures():
    from workbench.core.studies.style_transfer import STYLE_NAMES

    for name in STYLE_NAMES:
        a = generate_style(name, 64, seed=1)
        assert a.shape == (64, 64, 3) and a.dtype == np.uint8
        np.testing.assert_array_equal(a, generate_style(name, 64, seed=1))
        assert not np.array_equal(a, generate_style(name, 64, seed=2))
        assert a.std() > 20  # a texture, not a flat colour
    with pytest.raises(WorkbenchError, match="Unknown style"):
        generate_style("monet", 64)


def test_sample_photos_and_bad_image_file(tmp_path):
    for name in ("china", "flower", "astronaut", "rocket"):
        img = sample_photo(name)
        assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8
    bad = tmp_path / "x.png"
    bad.write_bytes(b"not an image")
    with pytest.raises(WorkbenchError, match="not an image"):
        load_image(bad)
    with pytest.raises(WorkbenchError, match="does not exist"):
        load_image(tmp_path / "missing.png")


# ------------------------------------------------------------------ weight files
class _Evil:
    def __reduce__(self):
        return (exec, ("import builtins; builtins._style_pwned = True",))


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")
def test_bad_weight_files_are_refused(tmp_path):
    rnd = tmp_path / "random.pth"
    rnd.write_bytes(np.random.default_rng(0).bytes(4096))
    with pytest.raises(ProjectError, match="cannot be loaded as plain weights"):
        load_vgg19(rnd)

    evil = tmp_path / "evil.pth"
    torch.save({"features.0.weight": _Evil()}, evil)
    import builtins

    with pytest.raises(ProjectError):
        load_vgg19(evil)
    assert not getattr(builtins, "_style_pwned", False)  # weights_only refused to run the code

    plain_pickle = tmp_path / "evil.pkl"
    plain_pickle.write_bytes(pickle.dumps(_Evil()))
    with pytest.raises(ProjectError):
        load_vgg19(plain_pickle)
    assert not getattr(builtins, "_style_pwned", False)

    wrong = tmp_path / "mobilenet.pth"
    torch.save(load_mobilenet_v2().state_dict(), wrong)
    with pytest.raises(ProjectError, match="not a torchvision vgg19 state dict"):
        load_vgg19(wrong)

    shapes = {k: torch.zeros(v) for k, v in _vgg_shapes().items()}
    shapes["features.0.weight"] = torch.zeros(64, 3, 5, 5)
    bad_shape = tmp_path / "shape.pth"
    torch.save(shapes, bad_shape)
    with pytest.raises(ProjectError, match="wrong shape"):
        load_vgg19(bad_shape)

    not_dict = tmp_path / "list.pth"
    torch.save([torch.zeros(3)], not_dict)
    with pytest.raises(ProjectError, match="state dict"):
        load_vgg19(not_dict)

    with pytest.raises(WorkbenchError, match="needs a weights file"):
        load_vgg19("")

    with pytest.raises(ProjectError, match="does not exist"):
        load_vgg19(tmp_path / "nope.pth")


def test_vgg19_file_with_classifier_keys_loads_and_runs(tmp_path):
    """A torchvision vgg19 file (features + classifier) loads; only the features are used."""
    sd = {k: torch.full(v, 0.01) for k, v in _vgg_shapes().items()}
    sd["classifier.0.weight"] = torch.zeros(4, 4)  # stands in for the (huge) classifier
    p = tmp_path / "vgg19.pth"
    torch.save(sd, p)
    info = get_backbone("vgg19", str(p))
    assert info.layer_names[:3] == ["relu1_1", "relu1_2", "pool1"]
    ex = FeatureExtractor(info, ["relu1_1", "relu2_1"])
    out = ex(torch.rand(1, 3, 32, 32))
    assert out["relu1_1"].shape == (1, 64, 32, 32) and out["relu2_1"].shape == (1, 128, 16, 16)
    assert info.mean == IMAGENET_MEAN and info.std == IMAGENET_STD
