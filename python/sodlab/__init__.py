"""sodlab from Python: the evaluator of `sodlab eval`, PySODMetrics' classes, and the results store.

    import sodlab
    result = sodlab.evaluate("maps/DSS", "data/sod300/masks", metrics="all", threads=2)
    result["dataset"]["maxF"], result["per_image"]["0001"]["MAE"], result["curves"]["curve_P"]

    import sodlab.metrics as py_sod_metrics   # PySODMetrics' API (sodlab/metrics.py)
    import sodlab.store                       # results databases as pandas DataFrames

The C++ module (sodlab._core) is built from src/metrics, the same code as the `sodlab` command.
"""
import os

from . import _core
from ._arrays import as_gray, as_rgb

__version__ = "0.1.0"
__all__ = ["evaluate", "evaluate_arrays", "metric_families", "__version__"]


def _metrics_arg(metrics):
    return metrics if isinstance(metrics, str) else ",".join(metrics)


def evaluate(pred_dir, gt_dir, metrics="all", convention="pysodmetrics", threads=0, normalize=True,
             images=None, resize=False):
    """Evaluates a folder of maps against a folder of masks, matched by file stem, in C++ threads
    (GIL released): exactly `sodlab eval PRED_DIR GT_DIR`.

    metrics: family names or groups ("all", "mae,fm,confusion", or a list); convention:
    "pysodmetrics" or "sal_eval_toolbox"; threads: 0 = SODLAB_THREADS or every core; images: the
    RGB photographs' folder (for ccm); resize: resize maps to their mask's size instead of failing.
    Returns {"convention", "normalize", "n_images", "dataset": {key: float},
    "per_image": {stem: {key: float}}, "curves": {name: numpy array, index = threshold 0..255}}.
    Bad input (missing folder, no pairs, size mismatch, unknown metric) is a ValueError.
    """
    return _core.evaluate_folders(os.fspath(pred_dir), os.fspath(gt_dir), _metrics_arg(metrics), convention,
                                  int(threads), bool(normalize), os.fspath(images) if images else "", bool(resize))


def evaluate_arrays(preds, gts, names=None, metrics="all", convention="pysodmetrics", threads=0, normalize=True,
                    images=None):
    """Evaluates maps and masks held in memory (numpy arrays or CPU tensors; see sodlab._arrays for
    the dtypes taken), in parallel C++ threads with the GIL released. Returns what `evaluate` does;
    per-image keys are `names` (default "0", "1", ...)."""
    preds, gts = list(preds), list(gts)
    if len(preds) != len(gts):
        raise ValueError(f"{len(preds)} predictions but {len(gts)} masks")
    if not preds:
        raise ValueError("no images to evaluate")
    names = [str(i) for i in range(len(preds))] if names is None else [str(n) for n in names]
    if len(names) != len(preds):
        raise ValueError(f"{len(names)} names for {len(preds)} images")
    if len(set(names)) != len(names):
        raise ValueError("names are not unique")
    pred_arrays = [as_gray(p, f"preds[{i}]") for i, p in enumerate(preds)]
    gt_arrays = [as_gray(g, f"gts[{i}]") for i, g in enumerate(gts)]
    rgb = [] if images is None else [as_rgb(x, f"images[{i}]") for i, x in enumerate(images)]
    return _core.evaluate_arrays(pred_arrays, gt_arrays, names, rgb, _metrics_arg(metrics), convention,
                                 int(threads), bool(normalize))


def metric_families():
    """The metric registry: [{"name", "summary", "group", "needs_images", "keys": [(key, direction,
    definition)]}], as `sodlab eval --list-metrics` prints it."""
    return _core.metric_families()
