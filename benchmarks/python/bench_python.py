"""sodlab from Python on SOD-300 (the DSS maps): per-image time of PySODMetrics' class API as
sodlab.metrics implements it, of sodlab.evaluate and sodlab.evaluate_arrays, against decoding the
same PNGs (cv2.imread, as PySODMetrics' users read them), all measured in this run (`make bench-python`).

The five classic metrics (MAE, S-measure, weighted F, E-measure, F-measure) are what issue 27's
target is about: PySODMetrics needs about 15 ms an image for them on one core of this machine
(../shared/research/metric-conventions.md). With --pysod DIR (a PySODMetrics checkout, or PYSOD=DIR
in make) the same loop runs PySODMetrics itself in this run and the ratio is measured, not quoted.
Run it on a quiet machine: every number is the best of --repeat rounds.
"""
import argparse
import os
import pathlib
import sys
import time
import warnings

import cv2
import numpy as np

import sodlab
import sodlab.metrics

QUOTED_PYSOD_CLASSIC_S = 0.015  # per image, one core (metric-conventions.md)
CLASSIC = "mae,sm,wfm,em,fm"


def best_of(repeat, fn):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def class_loop(module, pairs):
    warnings.filterwarnings("ignore")  # PySODMetrics' Fmeasure deprecation warning
    metrics = [module.MAE(), module.Smeasure(), module.WeightedFmeasure(), module.Emeasure(), module.Fmeasure()]
    for pred, gt in pairs:
        for metric in metrics:
            metric.step(pred=pred, gt=gt)
    return [m.get_results() for m in metrics]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", default=os.environ.get("SODLAB_SHARED_DIR", "../shared"))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pysod", default=os.environ.get("PYSOD"), help="a PySODMetrics checkout to time too")
    args = parser.parse_args()
    shared = pathlib.Path(args.shared)
    masks_dir = shared / "data" / "sod300" / "masks"
    maps_dir = shared / "fixtures" / "sod300-published-maps" / "DSS"
    stems = sorted(p.stem for p in masks_dir.glob("*.png"))
    if not stems or not maps_dir.is_dir():
        sys.exit(f"bench-python: SOD-300 masks or DSS maps not found under {shared}")
    n = len(stems)

    def decode():
        return [(cv2.imread(str(maps_dir / f"{s}.png"), cv2.IMREAD_GRAYSCALE),
                 cv2.imread(str(masks_dir / f"{s}.png"), cv2.IMREAD_GRAYSCALE)) for s in stems]

    pairs = decode()
    rows = [("decode both PNGs (cv2.imread)", best_of(args.repeat, decode))]
    rows.append(("class API, classic five (1 thread)", best_of(args.repeat, lambda: class_loop(sodlab.metrics, pairs))))
    preds, gts = [p for p, _ in pairs], [g for _, g in pairs]
    for threads in (1, 2):
        rows.append((f"evaluate_arrays, classic five ({threads} thr)",
                     best_of(args.repeat, lambda: sodlab.evaluate_arrays(preds, gts, metrics=CLASSIC, threads=threads))))
        rows.append((f"evaluate (decodes too), classic ({threads} thr)",
                     best_of(args.repeat, lambda: sodlab.evaluate(maps_dir, masks_dir, metrics=CLASSIC, threads=threads))))
    rows.append(("evaluate (decodes too), all (2 thr)",
                 best_of(args.repeat, lambda: sodlab.evaluate(maps_dir, masks_dir, metrics="all", threads=2))))
    pysod_s = QUOTED_PYSOD_CLASSIC_S
    pysod_label = "quoted 15 ms"
    if args.pysod:
        sys.path.insert(0, args.pysod)
        import py_sod_metrics

        measured = best_of(1, lambda: class_loop(py_sod_metrics, pairs)) / n
        rows.append(("PySODMetrics itself, classic five (1 thread)", measured * n))
        pysod_s, pysod_label = measured, "measured"

    decode_s = rows[0][1] / n
    print(f"SOD-300, {n} images (DSS maps), best of {args.repeat}; PySODMetrics classic five: "
          f"{pysod_s * 1e3:.1f} ms/image ({pysod_label})")
    print(f"{'':48s} {'ms/image':>9s} {'x decode':>9s} {'PySOD/this':>11s}")
    for name, seconds in rows:
        per_image = seconds / n
        print(f"{name:48s} {per_image * 1e3:9.3f} {per_image / decode_s:9.2f} {pysod_s / per_image:11.1f}")
    print("targets (issue 27): class API >= 10x PySODMetrics per image, sodlab.evaluate >= 20x")


if __name__ == "__main__":
    main()
