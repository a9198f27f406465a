"""PEP 517 backend of `pip install ./python`: CMake builds the target sodlab_python (the module
sodlab._core over src/metrics, and the package's Python files) in python/build/, and the wheel is
zipped here with the standard library. No index access: requires = [] in pyproject.toml.

config_settings: build-dir (default python/build), jobs (default: the machine's cores).
"""
import base64
import csv
import hashlib
import io
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile

HERE = pathlib.Path(__file__).resolve().parent
REPO = HERE.parent
NAME, VERSION = "sodlab", "0.1.0"
DIST_INFO = f"{NAME}-{VERSION}.dist-info"


def _tag():
    python = f"cp{sys.version_info.major}{sys.version_info.minor}"
    platform = sysconfig.get_platform().replace("-", "_").replace(".", "_")
    return f"{python}-{python}-{platform}"


def _metadata():
    return (f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n"
            "Summary: sodlab's salient-object evaluator (PySODMetrics' API, C++ speed) and results store\n"
            "Requires-Python: >=3.9\nRequires-Dist: numpy\nProvides-Extra: store\n"
            "Requires-Dist: pandas; extra == \"store\"\n")


def _build_module(config_settings):
    settings = config_settings or {}
    build_dir = pathlib.Path(settings.get("build-dir", HERE / "build"))
    jobs = str(settings.get("jobs", os.cpu_count() or 1))
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    if not (build_dir / "CMakeCache.txt").exists():
        subprocess.run(["cmake", "-S", str(REPO), "-B", str(build_dir), *generator, "-DCMAKE_BUILD_TYPE=Release",
                        "-DSODLAB_BUILD_TESTS=OFF", "-DSODLAB_BUILD_BENCHMARKS=OFF",
                        f"-DPython3_EXECUTABLE={sys.executable}"], check=True, stdout=sys.stderr)
    subprocess.run(["cmake", "--build", str(build_dir), "--target", "sodlab_python", "-j", jobs], check=True,
                   stdout=sys.stderr)
    package = build_dir / "python" / NAME
    ext = sysconfig.get_config_var("EXT_SUFFIX")
    if not (package / f"_core{ext}").exists():
        raise RuntimeError(f"{package}/_core{ext} was not built (was the build configured for another Python?)")
    return package, ext


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return [name, f"sha256={digest}", str(len(data))]


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    package, ext = _build_module(config_settings)
    files = {f"{NAME}/{p.name}": p.read_bytes() for p in sorted(package.glob("*.py"))}
    files[f"{NAME}/_core{ext}"] = (package / f"_core{ext}").read_bytes()
    files[f"{DIST_INFO}/METADATA"] = _metadata().encode()
    files[f"{DIST_INFO}/WHEEL"] = (f"Wheel-Version: 1.0\nGenerator: sodlab_build\nRoot-Is-Purelib: false\n"
                                   f"Tag: {_tag()}\n").encode()
    record = io.StringIO()
    writer = csv.writer(record, lineterminator="\n")
    for name, data in files.items():
        writer.writerow(_record_line(name, data))
    writer.writerow([f"{DIST_INFO}/RECORD", "", ""])
    files[f"{DIST_INFO}/RECORD"] = record.getvalue().encode()
    wheel_name = f"{NAME}-{VERSION}-{_tag()}.whl"
    with zipfile.ZipFile(pathlib.Path(wheel_directory) / wheel_name, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (0o755 if name.endswith(ext) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(info, data)
    return wheel_name


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    target = pathlib.Path(metadata_directory) / DIST_INFO
    target.mkdir(parents=True, exist_ok=True)
    (target / "METADATA").write_text(_metadata())
    (target / "WHEEL").write_text(f"Wheel-Version: 1.0\nGenerator: sodlab_build\nRoot-Is-Purelib: false\nTag: {_tag()}\n")
    return DIST_INFO
