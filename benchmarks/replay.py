"""`robot-ac bench replay`: messages/s read from a large generated bag and turned into aligned arrays, against
rosbags' own read + deserialise of the same messages in the same process; memory while streaming.

The bag is a humanoid's log: 29-joint JointState at 1 kHz and a GelSight camera (240 x 320 RGB) at 30 Hz. Memory is
the peak traced by tracemalloc during the read minus what the finished log keeps (its arrays): flat means it does
not grow with the bag's length. Tactile frames go to a memory-mapped file, which tracemalloc does not count.
"""

from __future__ import annotations

import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._results import write_result
from robot_ac._plotting import pyplot
from robot_ac.contract.hardware_config import HardwareConfig
from robot_ac.replay.bag import RobotLog, read_robot_log
from robot_ac.replay.bag_writer import BagWriter

JOINTS = 29
JOINT_RATE_HZ = 1000.0
IMAGE_RATE_HZ = 30.0
IMAGE_SHAPE = (240, 320, 3)


def benchmark_config() -> HardwareConfig:
    joints = [{"name": f"joint_{i}", "velocity_limit": 20.0, "effort_limit": 50.0, "kp": 50.0, "kd": 1.0}
              for i in range(JOINTS)]
    return HardwareConfig.model_validate({
        "robot": "benchmark_humanoid", "control_rate_hz": 50.0, "command_interface": "forward_position",
        "joints": joints, "topics": {"joint_states": "/joint_states", "command": "/commands",
                                     "tactile": {"left": "/gelsight_left/image_raw"}}})


def write_benchmark_bag(path: Path, seconds: float, storage: str, config: HardwareConfig) -> int:
    """The log; returns its number of messages."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, IMAGE_SHAPE, dtype=np.uint8)
    names = config.joint_names
    count = 0
    with BagWriter(path, storage) as bag:
        next_image = 0.0
        for k in range(int(seconds * JOINT_RATE_HZ)):
            t = k / JOINT_RATE_HZ
            values = rng.normal(size=(2, JOINTS))
            bag.joint_state(config.topics.joint_states, t, names, values[0], values[1])
            count += 1
            if t >= next_image:
                bag.image(config.topics.tactile["left"], t + 1e-4, image)
                next_image += 1.0 / IMAGE_RATE_HZ
                count += 1
    return count


def rosbags_read(path: Path, topics: set[str]) -> int:
    """The baseline: rosbags' reader and deserialiser, one Python message object per message."""
    from rosbags.highlevel import AnyReader
    from rosbags.typesys import Stores, get_typestore

    with AnyReader([path], default_typestore=get_typestore(Stores.ROS2_KILTED)) as reader:
        connections = [c for c in reader.connections if c.topic in topics]
        count = 0
        for connection, _, raw in reader.messages(connections=connections):
            reader.deserialize(raw, connection.msgtype)
            count += 1
    return count


def _kept_bytes(log: RobotLog) -> int:
    arrays = [log.positions.t, log.positions.values, log.velocities.values]  # the two share their times
    return sum(a.nbytes for a in arrays)


def _measure(path: Path, config: HardwareConfig, repeats: int) -> dict[str, Any]:
    topics = {config.topics.joint_states, *config.topics.tactile.values()}
    ours, baseline = [], []
    for _ in range(repeats):  # alternate, keep the best of each: the machine's noise hits both alike
        started = time.perf_counter()
        log = read_robot_log(path, config)
        ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        messages = rosbags_read(path, topics)
        baseline.append(time.perf_counter() - started)
    if log.messages_read != messages:
        raise RuntimeError(f"read {log.messages_read} messages, rosbags {messages}")
    tracemalloc.start()
    log = read_robot_log(path, config)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    kept = _kept_bytes(log)
    return {"messages": messages, "joint_states": int(log.positions.t.size),
            "tactile_frames": int(log.tactile["left"].t.size),
            "ours_msgs_per_s": messages / min(ours), "rosbags_msgs_per_s": messages / min(baseline),
            "speedup": min(baseline) / min(ours), "peak_traced_mb": peak / 2**20, "kept_arrays_mb": kept / 2**20,
            "streaming_overhead_mb": (peak - kept) / 2**20}


def _plot(rows: list[dict[str, Any]]) -> Any:
    fig, (ax_rate, ax_memory) = pyplot().subplots(1, 2, figsize=(11, 4))
    labels = [f"{r['storage']}\n{r['seconds']:g} s" for r in rows]
    x = np.arange(len(rows))
    ax_rate.bar(x - 0.2, [r["ours_msgs_per_s"] / 1e3 for r in rows], 0.4, label="robot-ac (bulk CDR)")
    ax_rate.bar(x + 0.2, [r["rosbags_msgs_per_s"] / 1e3 for r in rows], 0.4, label="rosbags read + deserialize")
    ax_rate.set_xticks(x, labels)
    ax_rate.set_ylabel("thousand messages / s")
    ax_rate.legend(fontsize=8)
    ax_rate.set_title("29-joint JointState @ 1 kHz + GelSight @ 30 Hz")
    for storage, marker in (("mcap", "o-"), ("sqlite3", "s--")):
        mine = [r for r in rows if r["storage"] == storage]
        ax_memory.plot([r["seconds"] for r in mine], [r["streaming_overhead_mb"] for r in mine], marker,
                       label=f"{storage}: peak - kept arrays")
        ax_memory.plot([r["seconds"] for r in mine], [r["kept_arrays_mb"] for r in mine], ":", color="grey")
    ax_memory.set_xlabel("bag length (s)")
    ax_memory.set_ylabel("MB (traced)")
    ax_memory.set_title("memory while streaming (grey: the arrays kept)")
    ax_memory.legend(fontsize=8)
    fig.tight_layout()
    return fig


def bench_replay(out_dir: Path, seconds: tuple[float, ...] = (10.0, 30.0),
                 storages: tuple[str, ...] = ("mcap", "sqlite3"), repeats: int = 3) -> Path:
    config = benchmark_config()
    rows = []
    with tempfile.TemporaryDirectory(prefix="robot-ac-bench-replay-") as folder:
        for storage in storages:
            for length in seconds:
                path = Path(folder) / f"{storage}_{length:g}s"
                print(f"writing a {length:g} s {storage} bag ...", flush=True)
                write_benchmark_bag(path, length, storage, config)
                row = {"storage": storage, "seconds": length,
                       "bag_mb": sum(f.stat().st_size for f in path.iterdir()) / 2**20,
                       **_measure(path, config, repeats)}
                print(f"  {row['messages']} messages: robot-ac {row['ours_msgs_per_s']:,.0f} msg/s, rosbags "
                      f"{row['rosbags_msgs_per_s']:,.0f} msg/s ({row['speedup']:.2f}x); streaming overhead "
                      f"{row['streaming_overhead_mb']:.1f} MB", flush=True)
                rows.append(row)
    result = {"benchmark": "replay", "joints": JOINTS, "joint_rate_hz": JOINT_RATE_HZ,
              "image_rate_hz": IMAGE_RATE_HZ, "image_shape": IMAGE_SHAPE, "repeats": repeats, "rows": rows}
    return write_result(out_dir, "bench_replay", result, _plot(rows))
