"""sodlab.metrics as a drop-in for py_sod_metrics: a script written for PySODMetrics
(pysod_style_recorder.py), run unchanged with sodlab.metrics in its place, gives PySODMetrics
1.6.2's values (../shared/fixtures/pysod-all, computed by PySODMetrics itself) for every key."""
import json
import math
import sys

import cv2
import numpy as np
import pytest

import sodlab.metrics
from conftest import DSS_MAPS, PYSOD_ALL, SOD300_IMAGES, SOD300_MASKS, SYNTHETIC, need

sys.modules["py_sod_metrics"] = sodlab.metrics  # the one line a user changes
import pysod_style_recorder  # noqa: E402 (written against `import py_sod_metrics`)

TOLERANCE = 1e-10  # the keys computed from pixel counts or exact per-image values
# cm and ccm: PySODMetrics rounds the GT's spread to float32, sodlab keeps float64
# (src/metrics/README.md, Context-measure; tests/metrics/test_pysod_all.cpp uses the same).
CONTEXT_TOLERANCE = 1e-8


def tolerance(key):
    return CONTEXT_TOLERANCE if key in ("cm", "ccm") else TOLERANCE


def fixture(name):
    with open(PYSOD_ALL / f"{name}.json") as f:
        return json.load(f)


def assert_matches(got, expected, skip=()):
    compared, wrong = 0, []
    for key, ref in expected.items():
        if key in skip:
            continue
        assert key in got, f"the recorder has no {key}"
        value = got[key]
        ok = math.isnan(value) if ref is None else abs(value - ref) <= tolerance(key)
        if not ok:
            wrong.append((key, value, ref))
        compared += 1
    assert not wrong, f"{len(wrong)} of {compared} keys differ: {wrong[:8]}"
    return compared


# Keys the fixtures hold that no PySODMetrics class returns: the fixtures' own NaN bookkeeping
# of si_mae, and ccm (per image below, it needs the photographs and 0.3 s an image).
NOT_CLASS_KEYS = {"si_mae_n_nan", "si_mae_nanmean", "ccm"}


def test_every_key_on_sod300_dss_maps():
    need(DSS_MAPS, SOD300_MASKS, PYSOD_ALL)
    got = pysod_style_recorder.evaluate(str(DSS_MAPS), str(SOD300_MASKS))
    assert assert_matches(got, fixture("DSS-sod300")["dataset"], NOT_CLASS_KEYS) == 150


def test_every_key_on_200_synthetic_edge_case_pairs():
    need(SYNTHETIC, PYSOD_ALL)
    got = pysod_style_recorder.evaluate(str(SYNTHETIC / "pred"), str(SYNTHETIC / "gt"))
    assert assert_matches(got, fixture("synthetic")["dataset"], NOT_CLASS_KEYS) == 150


def test_msiou_on_the_first_30_sod300_images():
    need(DSS_MAPS, SOD300_MASKS, PYSOD_ALL)
    expected = fixture("DSS-sod300-msiou30")
    stems = expected["images"] if isinstance(expected["images"], list) else None
    stems = stems or sorted(expected["per_image"])[:30]
    got = pysod_style_recorder.evaluate(str(DSS_MAPS), str(SOD300_MASKS), stems=stems, with_si=False,
                                        with_cm=False, with_hce=False, with_msiou=True)
    msiou = {k: v for k, v in expected["dataset"].items() if "msiou" in k}
    assert assert_matches(got, msiou) == 4


def test_camouflage_context_measure_per_image():
    need(DSS_MAPS, SOD300_MASKS, SOD300_IMAGES, PYSOD_ALL)
    per_image = fixture("DSS-sod300")["per_image"]
    stems = sorted(per_image)[:6]
    ccm = sodlab.metrics.CamouflageContextMeasure()
    values = []
    for stem in stems:
        gt = cv2.imread(str(SOD300_MASKS / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(str(DSS_MAPS / f"{stem}.png"), cv2.IMREAD_GRAYSCALE)
        img = cv2.cvtColor(cv2.imread(str(SOD300_IMAGES / f"{stem}.jpg"), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
        before = len(ccm._values)
        ccm.step(pred=pred, gt=gt, img=img)
        values.append(ccm._values[before])
    # As tests/metrics/test_pysod_all.cpp (src/metrics/README.md).
    np.testing.assert_allclose(values, [per_image[s]["ccm"] for s in stems], rtol=0, atol=CONTEXT_TOLERANCE)
    assert ccm.get_results()["ccm"] == pytest.approx(np.mean(values), abs=0)


def test_result_shapes_and_dtypes_are_pysodmetrics():
    rng = np.random.default_rng(7)
    gt = np.zeros((40, 50), np.uint8)
    gt[10:25, 12:30] = 255
    gt[28:38, 36:46] = 255  # 100 pixels: PySODMetrics drops targets under 50
    pred = rng.integers(0, 256, gt.shape, dtype=np.uint8)
    fm, em = sodlab.metrics.Fmeasure(), sodlab.metrics.Emeasure()
    v2 = sodlab.metrics.FmeasureV2({"iou": sodlab.metrics.IOUHandler(True, True, with_binary=True)})
    si = sodlab.metrics.SizeInvarianceFmeasureV2({"dice": sodlab.metrics.DICEHandler(True, True)})
    for metric in (fm, em, v2, si):
        metric.step(pred, gt)
        metric.step(pred[::-1].copy(), gt)
    r = fm.get_results()
    assert set(r) == {"fm", "pr"} and set(r["fm"]) == {"adp", "curve"} and set(r["pr"]) == {"p", "r"}
    assert r["fm"]["curve"].shape == (256,) and r["fm"]["curve"].dtype == np.float64
    assert isinstance(r["fm"]["adp"], np.float64)
    assert em.get_results()["em"]["curve"].shape == (256,)
    r = v2.get_results()["iou"]
    assert set(r) == {"dynamic", "adaptive", "binary"} and r["dynamic"].shape == (256,)
    # Curves run from threshold 255 down to 0: at index 255 (threshold 0) every pixel is foreground.
    assert r["dynamic"][255] == pytest.approx(np.count_nonzero(gt) / gt.size)
    dynamic = si.get_results()["dice"]["dynamic"]
    assert isinstance(dynamic, list) and len(dynamic) == 2 and dynamic[0].shape == (2, 256)  # 2 targets
