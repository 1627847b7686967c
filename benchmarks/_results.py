"""What every benchmark writes: ``<out_dir>/<name>_<stamp>.json`` (the result, when and on what machine) and a PNG
of the same name, each written atomically.

One timestamp format (:data:`STAMP_FORMAT`) serves the file names and the JSON's ``created``; :func:`scaling_axes`
is the plots' common rate-against-batch axes. Machine info imports
nothing heavy: torch's thread count and GPU are reported only where the benchmark has already imported torch.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from robot_ac._atomic import atomic_write_bytes, atomic_write_json
from robot_ac._plotting import png_bytes

STAMP_FORMAT = "%Y%m%d-%H%M%S"
"""``20261126-012941``: in every result's file name and its ``created``."""

PACKAGES = ("robot-ac", "torch", "warp-lang", "newton", "mujoco-warp", "isaaclab", "rsl-rl-lib", "onnxruntime",
            "rosbags")


def _package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _cpu_model() -> str:
    if os.path.exists("/proc/cpuinfo"):
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    return platform.processor()


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Host, CPU, device and package versions (from the installed metadata: nothing is imported for them)."""
    torch = sys.modules.get("torch")
    return {
        "hostname": platform.node(), "platform": platform.platform(), "python": platform.python_version(),
        "cpu": _cpu_model(), "cpu_count": os.cpu_count(), "device": device,
        "torch_threads": torch.get_num_threads() if torch else None,
        "gpu": torch.cuda.get_device_name(device) if torch and device.startswith("cuda") else None,
        "packages": {name: _package_version(name) for name in PACKAGES},
    }


def write_result(out_dir: Path, name: str, result: dict[str, Any], figure: Any, device: str = "cpu") -> Path:
    """``result`` with ``created`` and ``machine`` added as ``<name>_<stamp>.json``, ``figure`` (matplotlib, closed
    here) as the PNG beside it; returns the JSON's path."""
    stamp = datetime.datetime.now().strftime(STAMP_FORMAT)
    stem = Path(out_dir) / f"{name}_{stamp}"
    path = atomic_write_json(f"{stem}.json", {"created": stamp, **result, "machine": machine_info(device)})
    atomic_write_bytes(f"{stem}.png", png_bytes(figure))
    print(f"[bench] wrote {stem}.json and .png", flush=True)
    return path


def scaling_axes(ax: Any, xlabel: str, ylabel: str = "", title: str = "") -> None:
    """A rate against a batch or env count: log2 x, log y, labels, grid."""
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
