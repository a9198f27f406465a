"""PySODMetrics itself, per sodlab metric family, on the images `bench_eval` times: the reference
that `make bench-eval PYSOD=DIR` measures in the same run instead of quoting issue 26's figures.

For each family it steps the PySODMetrics class(es) computing what that family computes over the
first N pairs of SOD-300 (DSS maps; N per family below: MSIoU needs seconds an image) and writes
the CPU time per image to a JSON file that bench_eval reads (SODLAB_BENCH_PYSOD), with N, so
that bench_eval times sodlab on the very same images. Run it on one core (the Makefile pins it
with taskset and one BLAS/OpenCV thread) on a quiet machine.

usage: time_pysod_families.py --pysod DIR [--shared DIR] --out FILE [--scale K]
"""
import argparse
import json
import os
import pathlib
import sys
import time
import warnings

import cv2

# sodlab family -> (images timed by default, needs the RGB photograph, PySODMetrics classes).
# The classes are built by name from the module, as PySODMetrics' users build them; the
# handlers of FmeasureV2 are those of sodlab's `confusion` family (every member, every mode) and
# of its size-invariant `si_fm` (one member, the four modes of sodlab.metrics' drop-in test).
MEMBERS = ["fm", "f1", "pre", "rec", "fpr", "iou", "dice", "spec", "ber", "oa", "kappa"]


def member_handler(m, member, **mode):
    if member in ("fm", "f1"):
        return m.FmeasureHandler(**mode, beta=0.3 if member == "fm" else 1)
    names = dict(pre="PrecisionHandler", rec="RecallHandler", fpr="FPRHandler", iou="IOUHandler",
                 dice="DICEHandler", spec="SpecificityHandler", ber="BERHandler",
                 oa="OverallAccuracyHandler", kappa="KappaHandler")
    return getattr(m, names[member])(**mode)


def confusion(m):
    handlers = {}
    for member in MEMBERS:
        handlers[member] = member_handler(m, member, with_adaptive=True, with_dynamic=True)
        handlers["sample_bi" + member] = member_handler(m, member, with_adaptive=False, with_dynamic=False,
                                                        with_binary=True, sample_based=True)
        handlers["overall_bi" + member] = member_handler(m, member, with_adaptive=False, with_dynamic=False,
                                                         with_binary=True, sample_based=False)
    return [m.FmeasureV2(metric_handlers=handlers)]


def si_fm(m):
    return [m.SizeInvarianceFmeasureV2({
        "si_sample_fm": member_handler(m, "fm", with_adaptive=True, with_dynamic=True, sample_based=True),
        "si_overall_fm": member_handler(m, "fm", with_adaptive=False, with_dynamic=True, sample_based=False),
        "si_sample_bifm": member_handler(m, "fm", with_adaptive=False, with_dynamic=False, with_binary=True,
                                         sample_based=True),
        "si_overall_bifm": member_handler(m, "fm", with_adaptive=False, with_dynamic=False, with_binary=True,
                                          sample_based=False)})]


FAMILIES = {
    "mae": (300, False, lambda m: [m.MAE()]),
    "fm": (300, False, lambda m: [m.Fmeasure()]),
    "sm": (300, False, lambda m: [m.Smeasure()]),
    "em": (300, False, lambda m: [m.Emeasure()]),
    "wfm": (300, False, lambda m: [m.WeightedFmeasure()]),
    "confusion": (300, False, confusion),
    "si_mae": (300, False, lambda m: [m.SizeInvarianceMAE()]),
    "si_fm": (300, False, si_fm),
    "cm": (300, False, lambda m: [m.ContextMeasure()]),
    "ccm": (30, True, lambda m: [m.CamouflageContextMeasure()]),
    "hce": (300, False, lambda m: [m.HumanCorrectionEffortMeasure()]),
    "msiou": (3, False, lambda m: [m.MSIoU(with_dynamic=True, with_adaptive=True, with_binary=True)]),
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pysod", required=True, help="a PySODMetrics checkout (the folder holding py_sod_metrics)")
    parser.add_argument("--shared", default=os.environ.get("SODLAB_SHARED_DIR", "../shared"))
    parser.add_argument("--out", required=True)
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every family's image count")
    args = parser.parse_args()
    sys.path.insert(0, args.pysod)
    import py_sod_metrics

    cv2.setNumThreads(1)
    warnings.filterwarnings("ignore")  # Fmeasure's deprecation warning
    shared = pathlib.Path(args.shared)
    masks_dir, images_dir = shared / "data" / "sod300" / "masks", shared / "data" / "sod300" / "images"
    maps_dir = shared / "fixtures" / "sod300-published-maps" / "DSS"
    stems = sorted(p.stem for p in masks_dir.glob("*.png"))
    if not stems or not maps_dir.is_dir():
        sys.exit(f"time_pysod_families: SOD-300 masks or DSS maps not found under {shared}")
    largest = max(n for n, _, _ in FAMILIES.values())
    count = lambda n: max(1, min(len(stems), round(n * args.scale)))  # noqa: E731

    start = time.process_time()
    pairs = [(cv2.imread(str(maps_dir / f"{s}.png"), cv2.IMREAD_GRAYSCALE),
              cv2.imread(str(masks_dir / f"{s}.png"), cv2.IMREAD_GRAYSCALE)) for s in stems[:count(largest)]]
    decode_ms = (time.process_time() - start) / len(pairs) * 1e3
    pyproject = pathlib.Path(args.pysod) / "pyproject.toml"
    version = next((line.split('"')[1] for line in pyproject.read_text().splitlines() if line.startswith("version")),
                   "unknown") if pyproject.is_file() else "unknown"
    result = {"pysod_version": version, "decode_ms": decode_ms,
              "families": {}}
    for family, (n, needs_rgb, build) in FAMILIES.items():
        n = count(n)
        rgbs = [cv2.cvtColor(cv2.imread(str(images_dir / f"{s}.jpg")), cv2.COLOR_BGR2RGB) for s in stems[:n]] \
            if needs_rgb else None
        def run(count):
            metrics = build(py_sod_metrics)
            for i, (pred, gt) in enumerate(pairs[:count]):
                for metric in metrics:
                    try:
                        if needs_rgb:
                            metric.step(pred=pred, gt=gt, img=rgbs[i])
                        else:
                            metric.step(pred=pred, gt=gt)
                    except (AssertionError, ValueError):  # SI on a GT without background: PySOD refuses it
                        pass
            for metric in metrics:
                metric.get_results()

        if n > 1:
            run(1)  # untimed: first-call costs (imports, caches)
        start = time.process_time()
        run(n)
        ms = (time.process_time() - start) / n * 1e3
        result["families"][family] = {"ms": ms, "images": n}
        print(f"PySODMetrics {family:10s} {ms:10.2f} ms/image over {n} images", flush=True)
    pathlib.Path(args.out).write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
