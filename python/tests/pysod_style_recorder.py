"""An evaluation script written against PySODMetrics' API (``import py_sod_metrics``), in the way
PySODEvalToolkit's recorder and PySODMetrics' own examples/test_metrics.py drive it: one object per
metric, ``step`` per image, ``get_results`` reduced to the key names of that test script.

test_dropin.py runs it unchanged with ``sodlab.metrics`` installed as ``py_sod_metrics``; with the
real PySODMetrics on the path it is the reference (python3 pysod_style_recorder.py MAPS MASKS).
"""
import json
import os
import sys

import cv2
import numpy as np
import py_sod_metrics

MEMBERS = ["fm", "f1", "pre", "rec", "fpr", "iou", "dice", "spec", "ber", "oa", "kappa"]


def handler(member, **mode):
    classes = {
        "fm": lambda **k: py_sod_metrics.FmeasureHandler(**k, beta=0.3),
        "f1": lambda **k: py_sod_metrics.FmeasureHandler(**k, beta=1),
        "pre": py_sod_metrics.PrecisionHandler, "rec": py_sod_metrics.RecallHandler,
        "fpr": py_sod_metrics.FPRHandler, "iou": py_sod_metrics.IOUHandler, "dice": py_sod_metrics.DICEHandler,
        "spec": py_sod_metrics.SpecificityHandler, "ber": py_sod_metrics.BERHandler,
        "oa": py_sod_metrics.OverallAccuracyHandler, "kappa": py_sod_metrics.KappaHandler,
    }
    return classes[member](**mode)


def auc(y, x):
    """Trapezoids of y over x for curves in descending-threshold order (flipped, stably sorted by x)."""
    y, x = np.flip(y, -1), np.flip(x, -1)
    order = np.argsort(x, axis=-1, kind="stable")
    return np.trapz(y=np.take_along_axis(y, order, -1), x=np.take_along_axis(x, order, -1), axis=-1)


class Recorder:
    def __init__(self, with_si=True, with_cm=True, with_hce=True, with_msiou=False):
        gray = dict(with_adaptive=True, with_dynamic=True)
        sample_bin = dict(with_adaptive=False, with_dynamic=False, with_binary=True, sample_based=True)
        overall_bin = dict(with_adaptive=False, with_dynamic=False, with_binary=True, sample_based=False)
        self.classic = dict(mae=py_sod_metrics.MAE(), sm=py_sod_metrics.Smeasure(), wfm=py_sod_metrics.WeightedFmeasure(),
                            em=py_sod_metrics.Emeasure(), fm=py_sod_metrics.Fmeasure())
        handlers = {}
        for m in MEMBERS:
            handlers[m] = handler(m, **gray)
            handlers["sample_bi" + m] = handler(m, **sample_bin)
            handlers["overall_bi" + m] = handler(m, **overall_bin)
        self.fmv2 = py_sod_metrics.FmeasureV2(metric_handlers=handlers)
        self.others = {}
        if with_hce:
            self.others["HCE"] = py_sod_metrics.HumanCorrectionEffortMeasure()
        if with_cm:
            self.others["cm"] = py_sod_metrics.ContextMeasure()
        self.si = None
        if with_si:
            si_handlers = {}
            for m in MEMBERS:
                si_handlers["si_sample_" + m] = handler(m, with_adaptive=True, with_dynamic=True, sample_based=True)
                si_handlers["si_overall_" + m] = handler(m, with_adaptive=False, with_dynamic=True, sample_based=False)
                si_handlers["si_sample_bi" + m] = handler(m, **sample_bin)
                si_handlers["si_overall_bi" + m] = handler(m, **overall_bin)
            self.si = (py_sod_metrics.SizeInvarianceMAE(), py_sod_metrics.SizeInvarianceFmeasureV2(si_handlers))
        self.msiou = py_sod_metrics.MSIoU(with_dynamic=True, with_adaptive=True, with_binary=True) if with_msiou else None

    def step(self, pred, gt):
        for metric in self.classic.values():
            metric.step(pred=pred, gt=gt)
        self.fmv2.step(pred=pred, gt=gt)
        for metric in self.others.values():
            metric.step(pred=pred, gt=gt)
        if self.msiou is not None:
            self.msiou.step(pred=pred, gt=gt)
        if self.si is not None:
            try:
                for metric in self.si:
                    metric.step(pred=pred, gt=gt)
            except (AssertionError, ValueError):  # a GT without background: left out, as the fixtures do
                pass

    def results(self):
        out = {}
        c = self.classic
        out["MAE"] = c["mae"].get_results()["mae"]
        out["Smeasure"] = c["sm"].get_results()["sm"]
        out["wFmeasure"] = c["wfm"].get_results()["wfm"]
        em = c["em"].get_results()["em"]
        out.update(adpEm=em["adp"], meanEm=em["curve"].mean(), maxEm=em["curve"].max())
        fm = c["fm"].get_results()["fm"]
        out.update(adpFm=fm["adp"], meanFm=fm["curve"].mean(), maxFm=fm["curve"].max())
        v2 = self.fmv2.get_results()
        for m in MEMBERS:
            out["adp" + m] = v2[m]["adaptive"]
            out["mean" + m] = v2[m]["dynamic"].mean()
            out["max" + m] = v2[m]["dynamic"].max()
            out["sample_bi" + m] = v2["sample_bi" + m]["binary"]
            out["overall_bi" + m] = v2["overall_bi" + m]["binary"]
        out["auc_pr"] = auc(v2["pre"]["dynamic"], v2["rec"]["dynamic"])
        out["auc_roc"] = auc(v2["rec"]["dynamic"], v2["fpr"]["dynamic"])
        for name, metric in self.others.items():
            out[name] = next(iter(metric.get_results().values()))
        if self.msiou is not None:
            r = self.msiou.get_results()
            out.update(adpmsiou=r["adaptive"], meanmsiou=r["dynamic"].mean(), maxmsiou=r["dynamic"].max(),
                       sample_bimsiou=r["binary"])
        if self.si is not None:
            out["si_mae"] = self.si[0].get_results()["si_mae"]
            si = self.si[1].get_results()
            for m in MEMBERS:
                per_sample = si["si_sample_" + m]["dynamic"]  # one T x 256 array per image
                out["si_sample_adp" + m] = si["si_sample_" + m]["adaptive"]
                out["si_sample_max" + m] = np.mean([s.max(axis=-1).mean() for s in per_sample])
                out["si_sample_mean" + m] = np.mean([s.mean(axis=-1).mean() for s in per_sample])
                overall = si["si_overall_" + m]["dynamic"]
                out["si_overall_max" + m] = overall.max()
                out["si_overall_mean" + m] = overall.mean()
                out["si_sample_bi" + m] = si["si_sample_bi" + m]["binary"]
                out["si_overall_bi" + m] = si["si_overall_bi" + m]["binary"]
            pre, rec, fpr = (si["si_sample_" + m]["dynamic"] for m in ("pre", "rec", "fpr"))
            out["si_sample_auc_pr"] = np.mean([auc(y, x).mean() for y, x in zip(pre, rec)])
            out["si_sample_auc_roc"] = np.mean([auc(y, x).mean() for y, x in zip(rec, fpr)])
            pre, rec, fpr = (si["si_overall_" + m]["dynamic"] for m in ("pre", "rec", "fpr"))
            out["si_overall_auc_pr"] = auc(pre, rec)
            out["si_overall_auc_roc"] = auc(rec, fpr)
        return {k: float(v) for k, v in out.items()}


def evaluate(maps_dir, masks_dir, stems=None, **options):
    stems = stems or sorted(os.path.splitext(f)[0] for f in os.listdir(masks_dir) if f.endswith(".png"))
    recorder = Recorder(**options)
    for stem in stems:
        gt = cv2.imread(os.path.join(masks_dir, stem + ".png"), cv2.IMREAD_GRAYSCALE)
        pred = cv2.imread(os.path.join(maps_dir, stem + ".png"), cv2.IMREAD_GRAYSCALE)
        recorder.step(pred, gt)
    return recorder.results()


if __name__ == "__main__":
    json.dump(evaluate(sys.argv[1], sys.argv[2]), sys.stdout, indent=1)
