"""PySODMetrics' public classes, computed by sodlab's C++ evaluator.

``import sodlab.metrics as py_sod_metrics`` and a script written for PySODMetrics 1.6.2 runs
unchanged: the same class names, constructor arguments, ``step(pred, gt, normalize=True)`` and
``get_results()`` dictionaries (names, nesting, shapes, float64 values; curves in PySODMetrics'
order: index i = threshold 255 - i, MSIoU's 257 thresholds ascending).

Each ``step`` hands one pair to ``sodlab._core.evaluate_image`` (the code behind ``sodlab eval``,
GIL released) and keeps the per-image values; ``get_results`` averages them with numpy exactly as
PySODMetrics does, so the results equal its results wherever the per-image values do (see
python/README.md for the tolerances the tests hold them to).

Only the parameters PySODMetrics' defaults use are implemented (its defaults are what papers
report); another value is a ValueError naming it rather than a silently different metric.
Inputs: see ``sodlab._arrays`` (uint8, bool, float in [0, 1], CPU tensors).
"""
import numpy as np

from . import _core
from ._arrays import as_gray, as_rgb

TYPE = np.float64
_CONVENTION = "pysodmetrics"

__all__ = [
    "MAE", "Smeasure", "WeightedFmeasure", "Emeasure", "Fmeasure", "FmeasureV2",
    "HumanCorrectionEffortMeasure", "ContextMeasure", "CamouflageContextMeasure", "MSIoU",
    "SizeInvarianceMAE", "SizeInvarianceFmeasureV2", "FmeasureHandler", "PrecisionHandler", "RecallHandler", "TPRHandler",
    "SensitivityHandler", "FPRHandler", "IOUHandler", "DICEHandler", "SpecificityHandler", "TNRHandler",
    "BERHandler", "OverallAccuracyHandler", "KappaHandler",
]


def _require(name, value, supported):
    if value != supported:
        raise ValueError(f"{name}={value!r}: sodlab computes PySODMetrics' default {name}={supported!r} only")


def _evaluate(families, pred, gt, normalize, img=None):
    return _core.evaluate_image(as_gray(pred, "pred"), as_gray(gt, "gt"), families, bool(normalize),
                                _CONVENTION, img)


def _descending(curve):
    """sodlab's curves run over thresholds 0..255; PySODMetrics' from 255 down to 0."""
    return curve[::-1].copy()


def _mean(values):
    return np.mean(np.array(values, dtype=TYPE))


class _PerImageMean:
    """A metric whose result is the mean over images of one per-image value."""

    _family = ""       # the registry family that computes it
    _value_key = ""    # its per-image key in sodlab
    _result_key = ""   # its key in PySODMetrics' get_results()

    def __init__(self):
        self._values = []

    def step(self, pred, gt, normalize=True):
        self._values.append(_evaluate(self._family, pred, gt, normalize)["values"][self._value_key])

    def get_results(self):
        return {self._result_key: _mean(self._values)}


class MAE(_PerImageMean):
    """Mean absolute error: ``{"mae": float}``."""

    _family, _value_key, _result_key = "mae", "MAE", "mae"


class Smeasure(_PerImageMean):
    """S-measure (Fan et al. 2017): ``{"sm": float}``."""

    _family, _value_key, _result_key = "sm", "Sm", "sm"

    def __init__(self, alpha=0.5):
        _require("alpha", alpha, 0.5)
        super().__init__()


class WeightedFmeasure(_PerImageMean):
    """Weighted F-measure (Margolin et al. 2014): ``{"wfm": float}``."""

    _family, _value_key, _result_key = "wfm", "wFm", "wfm"

    def __init__(self, beta=1):
        _require("beta", beta, 1)
        super().__init__()


class HumanCorrectionEffortMeasure(_PerImageMean):
    """Human correction effort (DIS, Qin et al. 2022): ``{"hce": float}``."""

    _family, _value_key, _result_key = "hce", "HCE", "hce"

    def __init__(self, relax=5, epsilon=2.0):
        _require("relax", relax, 5)
        _require("epsilon", epsilon, 2.0)
        super().__init__()


class ContextMeasure(_PerImageMean):
    """Context-measure (Wang et al. 2025): ``{"cm": float}``."""

    _family, _value_key, _result_key = "cm", "cm", "cm"

    def __init__(self, beta2=1.0, alpha=6.0):
        _require("beta2", beta2, 1.0)
        _require("alpha", alpha, 6.0)
        super().__init__()


class CamouflageContextMeasure(_PerImageMean):
    """Camouflage Context-measure: ``step(pred, gt, *, img)`` with the RGB photograph; ``{"ccm": float}``."""

    _family, _value_key, _result_key = "ccm", "ccm", "ccm"

    def __init__(self, beta2=1.2, alpha=6.0, gamma=8, lambda_spatial=20):
        _require("beta2", beta2, 1.2)
        _require("alpha", alpha, 6.0)
        _require("gamma", gamma, 8)
        _require("lambda_spatial", lambda_spatial, 20)
        super().__init__()

    def step(self, pred, gt, *, img, normalize=True):  # noqa: D102 (PySODMetrics' signature)
        result = _evaluate(self._family, pred, gt, normalize, as_rgb(img, "img"))
        self._values.append(result["values"][self._value_key])


class SizeInvarianceMAE(_PerImageMean):
    """Size-invariant MAE (Li et al. 2024): ``{"si_mae": float}`` (NaN when an image's target boxes
    cover it whole, as in PySODMetrics)."""

    _family, _value_key, _result_key = "si_mae", "si_mae", "si_mae"

    def step(self, pred, gt, normalize=True):
        values = _evaluate(self._family, pred, gt, normalize)["values"]
        if self._value_key not in values:  # PySODMetrics asserts here too
            raise ValueError("gt: size invariance needs a mask with background (this one is all foreground)")
        self._values.append(values[self._value_key])


class Fmeasure:
    """F-measure (β² = 0.3): ``{"fm": {"adp", "curve"}, "pr": {"p", "r"}}`` (256-point curves)."""

    def __init__(self, beta=0.3):
        _require("beta", beta, 0.3)
        self.adaptive_fms, self.changeable_fms, self.precisions, self.recalls = [], [], [], []

    def step(self, pred, gt, normalize=True):
        result = _evaluate("fm", pred, gt, normalize)
        curves = result["curves"]
        self.adaptive_fms.append(result["values"]["adpF"])
        self.precisions.append(_descending(curves["precision"]))
        self.recalls.append(_descending(curves["recall"]))
        self.changeable_fms.append(_descending(curves["fmeasure"]))

    def get_results(self):
        return dict(
            fm=dict(adp=_mean(self.adaptive_fms), curve=np.mean(np.array(self.changeable_fms, dtype=TYPE), axis=0)),
            pr=dict(p=np.mean(np.array(self.precisions, dtype=TYPE), axis=0),
                    r=np.mean(np.array(self.recalls, dtype=TYPE), axis=0)))


class Emeasure:
    """E-measure (Fan et al. 2018): ``{"em": {"adp", "curve"}}`` (256-point curve)."""

    def __init__(self):
        self.adaptive_ems, self.changeable_ems = [], []

    def step(self, pred, gt, normalize=True):
        result = _evaluate("em", pred, gt, normalize)
        self.adaptive_ems.append(result["values"]["adpEm"])
        self.changeable_ems.append(_descending(result["curves"]["emeasure"]))

    def get_results(self):
        return dict(em=dict(adp=_mean(self.adaptive_ems),
                            curve=np.mean(np.array(self.changeable_ems, dtype=TYPE), axis=0)))


class MSIoU:
    """Multi-scale IoU (Ahmadzadeh et al. 2021): ``{"dynamic" (257), "adaptive", "binary"}`` as selected."""

    def __init__(self, with_dynamic, with_adaptive, *, with_binary=False, num_levels=10):
        _require("num_levels", num_levels, 10)
        self.dynamic_results = [] if with_dynamic else None
        self.adaptive_results = [] if with_adaptive else None
        self.binary_results = [] if with_binary else None

    def step(self, pred, gt, normalize=True):
        result = _evaluate("msiou", pred, gt, normalize)
        if self.dynamic_results is not None:
            self.dynamic_results.append(result["curves"]["msiou"])
        if self.adaptive_results is not None:
            self.adaptive_results.append(result["values"]["adpmsiou"])
        if self.binary_results is not None:
            self.binary_results.append(result["values"]["sample_bimsiou"])

    def get_results(self):
        results = {}
        if self.dynamic_results is not None:
            results["dynamic"] = np.mean(np.array(self.dynamic_results, dtype=TYPE), axis=0)
        if self.adaptive_results is not None:
            results["adaptive"] = _mean(self.adaptive_results)
        if self.binary_results is not None:
            results["binary"] = _mean(self.binary_results)
        return results


# ---- FmeasureV2 and its handlers (PySODMetrics fmeasurev2.py) --------------------------------

class _BaseHandler:
    """One member of the confusion-matrix family; which results to record, as in PySODMetrics."""

    _member = ""  # sodlab's member name (src/metrics/confusion_metrics.h)

    def __init__(self, with_dynamic, with_adaptive, *, with_binary=False, sample_based=True):
        self.dynamic_results = [] if with_dynamic else None
        self.adaptive_results = [] if with_adaptive else None
        self.sample_based = sample_based
        if with_binary:
            self.binary_results = [] if sample_based else {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
        else:
            self.binary_results = None

    def __call__(self, tp, fp, tn, fn):
        """The member's value of counts (scalars or equal-length arrays), x/0 = 0 as in PySODMetrics."""
        counts = np.broadcast_arrays(*(np.asarray(c, dtype=np.int64) for c in (tp, fp, tn, fn)))
        values = [_core.confusion_value(self._member, *map(int, c)) for c in zip(*(x.ravel() for x in counts))]
        return np.array(values, dtype=TYPE).reshape(counts[0].shape)


class FmeasureHandler(_BaseHandler):
    """F-measure; sodlab computes β² = 0.3 (``fm``) and β² = 1 (``f1``)."""

    def __init__(self, with_dynamic, with_adaptive, *, with_binary=False, sample_based=True, beta=0.3):
        super().__init__(with_dynamic, with_adaptive, with_binary=with_binary, sample_based=sample_based)
        if beta not in (0.3, 1, 1.0):
            raise ValueError(f"beta={beta!r}: sodlab computes the F-measure for beta=0.3 and beta=1 only")
        self.beta = beta
        self._member = "fm" if beta == 0.3 else "f1"


def _handler(name, member, doc):
    return type(name, (_BaseHandler,), {"_member": member, "__doc__": doc, "__module__": __name__})


PrecisionHandler = _handler("PrecisionHandler", "pre", "Precision tp / (tp + fp).")
RecallHandler = _handler("RecallHandler", "rec", "Recall tp / (tp + fn).")
TPRHandler = SensitivityHandler = RecallHandler
FPRHandler = _handler("FPRHandler", "fpr", "False positive rate fp / (tn + fp).")
IOUHandler = _handler("IOUHandler", "iou", "Intersection over union tp / (tp + fp + fn).")
DICEHandler = _handler("DICEHandler", "dice", "Dice 2tp / (2tp + fn + fp).")
SpecificityHandler = _handler("SpecificityHandler", "spec", "Specificity tn / (tn + fp).")
TNRHandler = SpecificityHandler
BERHandler = _handler("BERHandler", "ber", "Balanced error rate 1 - (tpr + tnr) / 2.")
OverallAccuracyHandler = _handler("OverallAccuracyHandler", "oa", "Overall accuracy (tp + tn) / all.")
KappaHandler = _handler("KappaHandler", "kappa", "Cohen's kappa.")


class FmeasureV2:
    """The confusion-matrix family: ``{name: {"dynamic" (256), "adaptive", "binary"}}`` per handler."""

    _family_prefix = "confusion_"  # the registry families of the members (src/metrics)

    def __init__(self, metric_handlers=None):
        self._metric_handlers = metric_handlers if metric_handlers else {}

    def add_handler(self, handler_name, metric_handler):
        self._metric_handlers[handler_name] = metric_handler

    def _evaluate_members(self, pred, gt, normalize):
        if not self._metric_handlers:
            raise ValueError("Please add your metric handler before using `step()`.")
        members = sorted({h._member for h in self._metric_handlers.values()})
        return _evaluate(",".join(self._family_prefix + m for m in members), pred, gt, normalize)

    def _record(self, dynamic, adaptive, sample_binary, binary_counts):
        """Appends one image's results to each handler; dynamic(m), adaptive(m), sample_binary(m)
        give a member's values, binary_counts the image's (tp, fp, tn, fn) at map > 0.5."""
        for handler in self._metric_handlers.values():
            m = handler._member
            if handler.dynamic_results is not None:
                self._add_dynamic(handler, dynamic(m))
            if handler.adaptive_results is not None:
                handler.adaptive_results.append(adaptive(m))
            if handler.binary_results is not None:
                if handler.sample_based:
                    handler.binary_results.append(sample_binary(m))
                else:
                    for key, count in zip(("tp", "fp", "tn", "fn"), binary_counts):
                        handler.binary_results[key] += count

    @staticmethod
    def _add_dynamic(handler, curve):
        handler.dynamic_results.append(curve)

    @staticmethod
    def _dynamic_result(handler):
        return np.mean(np.array(handler.dynamic_results, dtype=TYPE), axis=0)

    def step(self, pred, gt, normalize=True):
        result = self._evaluate_members(pred, gt, normalize)
        values, curves = result["values"], result["curves"]
        self._record(lambda m: _descending(curves["confusion_" + m]), lambda m: values["adp" + m],
                     lambda m: values["sample_bi" + m], result["binary"])

    def get_results(self):
        results = {}
        for name, handler in self._metric_handlers.items():
            res = {}
            if handler.dynamic_results is not None:
                res["dynamic"] = self._dynamic_result(handler)
            if handler.adaptive_results is not None:
                res["adaptive"] = _mean(handler.adaptive_results)
            if handler.binary_results is not None:
                if handler.sample_based:
                    res["binary"] = _mean(handler.binary_results)
                else:
                    res["binary"] = np.mean(handler(**handler.binary_results))
            results[name] = res
        return results


class SizeInvarianceFmeasureV2(FmeasureV2):
    """Size-invariant confusion-matrix family (Li et al. 2024): per GT target (its bounding box).
    ``get_results()``: per handler ``"dynamic"`` (sample-based: one T x 256 array per image, T its
    targets; else the mean curve over every target), ``"adaptive"``, ``"binary"``, as PySODMetrics."""

    _family_prefix = "si_"

    @staticmethod
    def _add_dynamic(handler, curves):  # T x 256: one image's list, or every target's curve
        if handler.sample_based:
            handler.dynamic_results.append(curves)
        else:
            handler.dynamic_results.extend(curves)

    @staticmethod
    def _dynamic_result(handler):
        if handler.sample_based:
            return handler.dynamic_results
        return FmeasureV2._dynamic_result(handler)

    def step(self, pred, gt, normalize=True):
        si = self._evaluate_members(pred, gt, normalize)["si"]
        if not si["defined"]:  # PySODMetrics asserts here too
            raise ValueError("gt: size invariance needs a mask with background (this one is all foreground)")
        self._record(lambda m: si["target_curves"][m][:, ::-1].copy(),  # thresholds 255..0
                     lambda m: si["sample_adaptive"][m], lambda m: si["sample_binary"][m], si["binary"])
