"""What training loops hold, turned into what sodlab._core takes: C-contiguous uint8 arrays.

Accepted for a map or a mask: a numpy array or a CPU ``torch.Tensor`` (through ``__array__``) of
shape (H, W), (1, H, W) or (H, W, 1), and dtype
- uint8: as PySODMetrics reads images (``cv2.imread(..., IMREAD_GRAYSCALE)``);
- bool: True = 255 (a mask, or a binarised map);
- float16/32/64 in [0, 1]: quantised as PySODMetrics quantises its maps, ``(x * 255).astype(uint8)``
  (in float64), so thresholds and curves see the same 8-bit values.
Anything else (another dtype, another shape, NaN, values outside [0, 1], a CUDA tensor) is a
ValueError naming the argument and what was wrong.
"""
import numpy as np

__all__ = ["as_gray", "as_rgb"]


def _as_numpy(x, what):
    if hasattr(x, "detach") and hasattr(x, "device"):  # a torch.Tensor
        if getattr(x.device, "type", "cpu") != "cpu":
            raise ValueError(f"{what}: a tensor on {x.device}; move it to the CPU first (.cpu())")
        x = x.detach()
    try:
        return np.asarray(x)
    except Exception as error:  # noqa: BLE001 (anything numpy cannot read)
        raise ValueError(f"{what}: cannot be read as an array ({type(x).__name__}): {error}") from None


def _squeeze_to_2d(a, what):
    if a.ndim == 3 and a.shape[0] == 1:
        a = a[0]
    elif a.ndim == 3 and a.shape[2] == 1:
        a = a[..., 0]
    if a.ndim != 2:
        raise ValueError(f"{what}: shape {a.shape}: expected (H, W), (1, H, W) or (H, W, 1)")
    if a.size == 0:
        raise ValueError(f"{what}: shape {a.shape} is empty")
    return a


def _to_uint8(a, what):
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == np.bool_:
        return np.ascontiguousarray(a, dtype=np.uint8) * np.uint8(255)
    if a.dtype in (np.float16, np.float32, np.float64):
        a = a.astype(np.float64)
        if not np.isfinite(a).all():
            raise ValueError(f"{what}: float array with NaN or infinite values")
        low, high = float(a.min()), float(a.max())
        if low < 0 or high > 1:
            raise ValueError(f"{what}: float values must lie in [0, 1], found [{low:g}, {high:g}]")
        return np.ascontiguousarray((a * 255).astype(np.uint8))
    raise ValueError(f"{what}: dtype {a.dtype} is not supported: pass uint8 (0..255), bool, or float in [0, 1]")


def as_gray(x, what):
    """A map or mask as a C-contiguous (H, W) uint8 array."""
    return _to_uint8(_squeeze_to_2d(_as_numpy(x, what), what), what)


def as_rgb(x, what):
    """An RGB photograph (channel order R, G, B, as PySODMetrics' ccm expects) as (H, W, 3) uint8."""
    a = _as_numpy(x, what)
    if a.ndim != 3 or a.shape[2] != 3:
        raise ValueError(f"{what}: shape {a.shape}: expected (H, W, 3) RGB")
    if a.dtype != np.uint8:
        raise ValueError(f"{what}: dtype {a.dtype}: expected uint8 RGB")
    return np.ascontiguousarray(a)
