"""sodlab.evaluate / evaluate_arrays (the whole `sodlab eval` in C++ threads) and the inputs a
training loop holds: uint8, bool, float in [0, 1], CPU tensors; everything else a ValueError."""
import importlib.util
import json

import cv2
import numpy as np
import pytest

import sodlab
import sodlab.metrics
from conftest import DSS_MAPS, PYSOD_ALL, REPO, SOD300_MASKS, SYNTHETIC, need

CLASSIC = {"MAE": "MAE", "Smeasure": "Sm", "wFmeasure": "wFm", "maxFm": "maxF", "meanFm": "meanF",
           "adpFm": "adpF", "maxEm": "maxEm", "meanEm": "meanEm", "adpEm": "adpEm"}


def test_evaluate_folders_equals_pysodmetrics_on_sod300():
    need(DSS_MAPS, SOD300_MASKS, PYSOD_ALL)
    result = sodlab.evaluate(DSS_MAPS, SOD300_MASKS, metrics="all", threads=2)
    with open(PYSOD_ALL / "DSS-sod300.json") as f:
        expected = json.load(f)["dataset"]
    assert result["n_images"] == 300 and result["convention"] == "pysodmetrics"
    for pysod_key, sodlab_key in CLASSIC.items():
        assert result["dataset"][sodlab_key] == pytest.approx(expected[pysod_key], abs=1e-10), pysod_key
    for key in ("maxdice", "meaniou", "overall_bikappa", "sample_biber", "HCE", "cm", "auc_pr", "si_sample_maxfm"):
        # cm: PySODMetrics' float32 spread of the GT (src/metrics/README.md, Context-measure).
        assert result["dataset"][key] == pytest.approx(expected[key], abs=1e-8 if key == "cm" else 1e-10), key
    assert result["curves"]["curve_P"].shape == (256,)
    assert set(result["per_image"]) == {p.stem for p in SOD300_MASKS.glob("*.png")}


def test_evaluate_arrays_equals_evaluate_and_takes_floats_bools_and_tensors():
    need(SYNTHETIC)
    stems = sorted(p.stem for p in (SYNTHETIC / "gt").glob("*.png"))[:40]
    preds = [cv2.imread(str(SYNTHETIC / "pred" / f"{s}.png"), cv2.IMREAD_GRAYSCALE) for s in stems]
    gts = [cv2.imread(str(SYNTHETIC / "gt" / f"{s}.png"), cv2.IMREAD_GRAYSCALE) for s in stems]
    from_arrays = sodlab.evaluate_arrays(preds, gts, names=stems, metrics="mae,fm,sm,em,wfm", threads=2)
    # float maps quantised as PySODMetrics does, (x * 255).astype(uint8): u8 / 255 gives back u8.
    floats = [(p.astype(np.float64) / 255) for p in preds]
    bools = [g > 128 for g in gts]
    again = sodlab.evaluate_arrays(floats, bools, names=stems, metrics="mae,fm,sm,em,wfm", threads=1)
    assert again["dataset"] == from_arrays["dataset"]
    torch = pytest.importorskip("torch")
    tensors = [torch.from_numpy(f).float().unsqueeze(0) for f in floats]  # (1, H, W) float32, as a network gives
    masks = [torch.from_numpy(g) for g in bools]
    via_torch = sodlab.evaluate_arrays(tensors, masks, names=stems, metrics="mae,fm,sm,em,wfm")
    for key, value in from_arrays["dataset"].items():
        assert via_torch["dataset"][key] == pytest.approx(value, abs=2e-3), key  # float32 rounding of x/255


def test_class_api_takes_a_training_loops_tensor():
    torch = pytest.importorskip("torch")
    gt = torch.zeros(1, 32, 48, dtype=torch.bool)
    gt[0, 8:20, 10:30] = True
    pred = torch.sigmoid(torch.randn(1, 1, 32, 48))[0]  # (1, H, W) float32 in [0, 1]
    mae = sodlab.metrics.MAE()
    mae.step(pred, gt)
    expected = np.abs((pred.numpy()[0] * 255).astype(np.uint8) / 255.0 - gt.numpy()[0]).mean()
    # MAE uses the min-max stretched map; recompute it the same way.
    q = (pred.numpy()[0].astype(np.float64) * 255).astype(np.uint8) / 255.0
    q = (q - q.min()) / (q.max() - q.min())
    assert mae.get_results()["mae"] == pytest.approx(np.abs(q - gt.numpy()[0]).mean(), abs=1e-12)
    assert expected >= 0


@pytest.mark.parametrize("pred, message", [
    (np.zeros((4, 5), np.int32), "dtype int32"),
    (np.full((4, 5), 1.5), r"\[0, 1\]"),
    (np.full((4, 5), np.nan), "NaN"),
    (np.zeros((2, 4, 5), np.uint8), r"shape \(2, 4, 5\)"),
    (np.zeros((0, 5), np.uint8), "empty"),
    (np.zeros((4, 6), np.uint8), "prediction is 6x4 but mask is 5x4"),
])
def test_bad_inputs_are_value_errors_naming_them(pred, message):
    with pytest.raises(ValueError, match=message):
        sodlab.metrics.MAE().step(pred, np.zeros((4, 5), np.uint8))


def test_bad_arguments_are_value_errors():
    with pytest.raises(ValueError, match="alpha=0.7"):
        sodlab.metrics.Smeasure(alpha=0.7)
    with pytest.raises(ValueError, match="beta=0.5"):
        sodlab.metrics.FmeasureHandler(True, True, beta=0.5)
    with pytest.raises(ValueError, match="nope"):
        sodlab.evaluate_arrays([np.zeros((3, 3), np.uint8)], [np.zeros((3, 3), np.uint8)], metrics="nope")
    with pytest.raises(ValueError, match="does-not-exist"):
        sodlab.evaluate("does-not-exist", "does-not-exist-either")
    with pytest.raises(ValueError, match="2 predictions but 1 masks"):
        sodlab.evaluate_arrays([np.zeros((3, 3), np.uint8)] * 2, [np.zeros((3, 3), np.uint8)])
    with pytest.raises(ValueError, match="handler"):
        sodlab.metrics.FmeasureV2().step(np.zeros((3, 3), np.uint8), np.zeros((3, 3), np.uint8))
    with pytest.raises(ValueError, match="background"):
        sodlab.metrics.SizeInvarianceMAE().step(np.zeros((3, 3), np.uint8), np.full((3, 3), 255, np.uint8))


def test_the_registry_is_visible():
    families = {f["name"]: f for f in sodlab.metric_families()}
    assert {"mae", "fm", "confusion_dice", "si_mae", "hce", "ccm"} <= set(families)
    assert ("MAE", "lower", families["mae"]["keys"][0][2]) == families["mae"]["keys"][0]
    assert families["ccm"]["needs_images"]


def test_bench_eval_times_pysodmetrics_for_registry_families():
    """`make bench-eval PYSOD=...` names what it times by the registry's families and groups."""
    path = REPO / "benchmarks" / "python" / "time_pysod_families.py"
    spec = importlib.util.spec_from_file_location("time_pysod_families", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    registry = sodlab.metric_families()
    names = {f["name"] for f in registry} | {f["group"] for f in registry if f["group"]}
    assert set(bench.FAMILIES) <= names, set(bench.FAMILIES) - names
