"""The replay report: summary.json for machines, PNGs and a self-contained report.html for people, replay.mcap for
Foxglove."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import numpy as np

from robot_ac._atomic import atomic_write_bytes, atomic_write_json, atomic_write_text
from robot_ac._plotting import png_bytes, pyplot
from robot_ac.replay.bag import RobotLog
from robot_ac.replay.cartesian_twin import CartesianResimResult
from robot_ac.replay.open_loop import OpenLoopResult
from robot_ac.replay.replay_mcap import write_replay_mcap

MAX_JOINT_PLOTS = 12


def _commands_figure(result: OpenLoopResult) -> bytes:
    plt = pyplot()
    joints = result.columns[:MAX_JOINT_PLOTS]
    cols = min(3, len(joints))
    rows = int(np.ceil(len(joints) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.5 * cols, 2.6 * rows), squeeze=False)
    t = result.t - result.t[0]
    for j, name in enumerate(joints):
        ax = axes[j // cols, j % cols]
        ax.plot(t, result.recorded[:, j], label="sent by the robot", lw=1.2)
        ax.plot(t, result.replayed[:, j], "--", label="policy on recorded observations", lw=1.0)
        ax.set_title(name, fontsize=9)
        ax.grid(alpha=0.3)
    for ax in axes.flat[len(joints):]:
        ax.axis("off")
    axes[0, 0].legend(fontsize=7)
    fig.supxlabel("time since first compared command (s)")
    fig.tight_layout()
    return png_bytes(fig)


def _error_figure(result: OpenLoopResult, log: RobotLog) -> bytes:
    plt = pyplot()
    fig, (ax_err, ax_states) = plt.subplots(2, 1, figsize=(9, 5), sharex=True,
                                            gridspec_kw={"height_ratios": [3, 1]})
    t0 = result.t[0]
    error = np.abs(result.error).max(axis=1)
    ax_err.semilogy(result.t - t0, np.maximum(error, 1e-12), lw=1)
    ax_err.axhline(result.tolerance, color="tab:red", ls=":", label=f"tolerance {result.tolerance:g}")
    ax_err.set_ylabel("max |sent - replayed|")
    ax_err.legend(fontsize=8)
    ax_err.grid(alpha=0.3, which="both")
    names = sorted({state for _, state, _ in log.states}) or ["(no diagnostics)"]
    for (t, state, _), (t_next, _, _) in zip(log.states, log.states[1:] + [(result.t[-1], "", "")]):
        ax_states.barh(names.index(state), t_next - t, left=t - t0, height=0.6)
    ax_states.set_yticks(range(len(names)), names, fontsize=8)
    ax_states.set_xlabel("time (s)")
    fig.tight_layout()
    return png_bytes(fig)


def _histogram_figure(result: OpenLoopResult) -> bytes:
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 3.5))
    error = np.abs(result.error)
    bins = np.logspace(np.log10(max(error.min(), 1e-12)), np.log10(max(error.max(), 1e-11)), 40)
    for j, name in enumerate(result.columns[:MAX_JOINT_PLOTS]):
        ax.hist(np.maximum(error[:, j], 1e-12), bins=bins, histtype="step", label=name)
    ax.set_xscale("log")
    ax.axvline(result.tolerance, color="tab:red", ls=":")
    ax.set_xlabel("|sent - replayed| per command")
    ax.set_ylabel("commands")
    ax.legend(fontsize=6, ncol=2)
    fig.tight_layout()
    return png_bytes(fig)


def _resim_figure(resim: Any) -> bytes:
    """Per joint: the real trajectory, the re-simulated one, and the one with the fitted actuator."""
    plt = pyplot()
    joints = resim.joint_names[:MAX_JOINT_PLOTS]
    fig, axes = plt.subplots(1, len(joints), figsize=(4.5 * len(joints), 3), squeeze=False)
    t = resim.t - resim.t[0]
    for j, name in enumerate(joints):
        ax = axes[0, j]
        ax.plot(t, resim.real[:, j], label="real", lw=1.5)
        ax.plot(t, resim.simulated[:, j], "--", label="sim, recorded commands", lw=1)
        ax.plot(t, resim.calibrated[:, j], ":", label="sim, fitted actuator", lw=1.2)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel("time (s)")
        ax.grid(alpha=0.3)
    axes[0, 0].legend(fontsize=7)
    fig.tight_layout()
    return png_bytes(fig)


def _twin_figure(resim: CartesianResimResult) -> bytes:
    """Measured TCP-frame position against the twin's, per axis, and the gap between them."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 4, figsize=(18, 3), squeeze=False)
    t = resim.t - resim.t[0]
    for j, name in enumerate("xyz"):
        ax = axes[0, j]
        ax.plot(t, resim.real[:, j], label="real", lw=1.5)
        ax.plot(t, resim.simulated[:, j], "--", label="twin, fitted tracking, closed loop", lw=1)
        ax.set_title(f"{name} (m)", fontsize=9)
        ax.grid(alpha=0.3)
    gap = resim.gap()
    axes[0, 3].plot(t, gap["position_m"] * 1e3, label="position (mm)")
    axes[0, 3].plot(t, np.degrees(gap["rotation_rad"]), label="rotation (deg)")
    axes[0, 3].set_title("twin - real", fontsize=9)
    axes[0, 3].legend(fontsize=7)
    axes[0, 0].legend(fontsize=7)
    for ax in axes[0]:
        ax.set_xlabel("time (s)")
    fig.tight_layout()
    return png_bytes(fig)


def write_report(out_dir: Path, log: RobotLog, result: OpenLoopResult | None, extra: dict[str, Any],
                 resim: Any = None, frame_id: str = "") -> Path:
    """Write summary.json, the PNGs, report.html and replay.mcap (``frame_id``: of its poses) into ``out_dir``;
    returns the summary path. ``resim``: a ``sim.resim.ResimResult`` or a :class:`CartesianResimResult` (its
    summary goes under ``resimulation``)."""
    summary = {"log": log.summary(), "open_loop": result.summary() if result else None, **extra}
    images = {}
    cartesian_resim = resim if isinstance(resim, CartesianResimResult) else None
    if result is not None:
        images = {"commands.png": _commands_figure(result), "errors.png": _error_figure(result, log),
                  "error_histogram.png": _histogram_figure(result)}
        write_replay_mcap(out_dir / "replay.mcap", log, result, frame_id, cartesian_resim)
    if resim is not None:
        summary["resimulation"] = resim.summary()
        images["resimulation.png"] = _twin_figure(resim) if cartesian_resim else _resim_figure(resim)
    for name, data in images.items():
        atomic_write_bytes(out_dir / name, data)
    figures = "".join(f'<h2>{name}</h2><img src="data:image/png;base64,{base64.b64encode(data).decode()}">'
                      for name, data in images.items())
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>robot-ac replay</title></head><body>"
            f"<h1>robot-ac replay: {html.escape(log.source)}</h1>"
            f"<pre>{html.escape(json.dumps(summary, indent=2))}</pre>{figures}</body></html>")
    atomic_write_text(out_dir / "report.html", page)
    return atomic_write_json(out_dir / "summary.json", summary)
