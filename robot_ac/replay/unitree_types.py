"""The G1's own messages (``unitree_hg``: LowState, LowCmd) for rosbags, and their bulk decoding.

rosbags' type stores know only the standard ROS 2 messages: :func:`register_unitree_types` adds ``unitree_hg``'s
from the package's own .msg files, so a recorder can store their definitions in the bag and a reader can decode a
bag that has none.

LowState comes at 500 Hz and rosbags deserialises about 3,000 of them a second (35 nested motor structs each),
slower than the robot sends them. Both messages have a fixed size (no strings, no sequences), so every field sits
at the same byte offset in every message: :func:`fixed_layout` finds the offsets once from the message definition
and :func:`decode_fixed` reads a field out of a whole batch with one numpy gather, as
:mod:`robot_ac.replay.cdr` does for JointState.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from robot_ac.errors import RobotAcError
from robot_ac.replay.cdr import PAYLOAD_START

PACKAGE = "unitree_hg"
LOWSTATE = "unitree_hg/msg/LowState"
LOWCMD = "unitree_hg/msg/LowCmd"
_REPO_MESSAGES = Path(__file__).resolve().parents[2] / "ros_ws" / "src" / PACKAGE / "msg"
_PRIMITIVES = {"bool": "u1", "byte": "u1", "char": "u1", "int8": "i1", "uint8": "u1", "int16": "i2", "uint16": "u2",
               "int32": "i4", "uint32": "u4", "int64": "i8", "uint64": "u8", "float32": "f4", "float64": "f8"}
"""ROS primitive type -> numpy type code (its size is the digit: CDR aligns a primitive to its own size)."""


def message_folders() -> list[Path]:
    """Where ``unitree_hg``'s .msg files may be, in the order they are looked for: this checkout's
    ``ros_ws/src/unitree_hg/msg``, then the installed package's ``share/unitree_hg/msg`` in this environment's prefix
    (scripts/setup.sh builds it into the venv) and in every sourced ROS prefix (``AMENT_PREFIX_PATH``)."""
    prefixes = [sys.prefix, *filter(None, os.environ.get("AMENT_PREFIX_PATH", "").split(os.pathsep))]
    return [_REPO_MESSAGES, *(Path(prefix) / "share" / PACKAGE / "msg" for prefix in prefixes)]


def register_unitree_types(typestore: Any) -> Any:
    """Add ``unitree_hg``'s messages (LowState, LowCmd and the structs inside them) to a rosbags ``typestore``;
    returns it. Raises a RobotAcError naming the folders looked in when no LowState.msg / LowCmd.msg is found."""
    from rosbags.typesys import TypesysError, get_types_from_msg

    folders = message_folders()
    folder = next((f for f in folders if (f / "LowState.msg").is_file() and (f / "LowCmd.msg").is_file()), None)
    if folder is None:
        raise RobotAcError(f"the {PACKAGE} message definitions (LowState.msg, LowCmd.msg) are in none of "
                           f"{[str(f) for f in folders]}: run scripts/setup.sh (it builds {PACKAGE} into the venv) or "
                           f"source a ROS workspace that has {PACKAGE}")
    types: dict[str, Any] = {}
    for path in sorted(folder.glob("*.msg")):
        types.update(get_types_from_msg(path.read_text(), f"{PACKAGE}/msg/{path.stem}"))
    try:
        typestore.register(types)
    except TypesysError as exc:
        raise RobotAcError(f"{PACKAGE} messages from '{folder}': {exc}") from exc
    return typestore


@dataclass(frozen=True)
class FixedLayout:
    """Where every primitive field of a fixed-size message sits in its CDR bytes."""

    msgtype: str
    size: int
    """Bytes of one message: the 4-byte encapsulation header and the payload."""
    fields: Mapping[str, tuple[np.ndarray, str]]
    """Field path -> byte offsets [k] from the start of the message, and the numpy type code (``f4``). A path
    through an array gathers every element in order: ``motor_state.q`` has LowState's 35 motors' ``q``."""


def fixed_layout(fielddefs: Mapping[str, Any], msgtype: str) -> FixedLayout:
    """The layout of ``msgtype`` from a rosbags type store's ``fielddefs``; a RobotAcError for a message with a
    string or a sequence (its size varies)."""
    if msgtype not in fielddefs:
        raise RobotAcError(f"no definition of {msgtype} (a rosbags type store has {len(fielddefs)} others)")
    fields: dict[str, tuple[list[int], str]] = {}
    end = _walk(fielddefs, msgtype, "", 0, fields)
    return FixedLayout(msgtype, PAYLOAD_START + end,
                       {path: (np.asarray(offsets) + PAYLOAD_START, code) for path, (offsets, code) in fields.items()})


def _walk(fielddefs: Mapping[str, Any], msgtype: str, prefix: str, at: int,
          fields: dict[str, tuple[list[int], str]]) -> int:
    """Place the fields of one ``msgtype`` struct from payload offset ``at``; returns the offset after it."""
    for name, (kind, detail) in fielddefs[msgtype][1]:
        at = _place(fielddefs, msgtype, f"{prefix}{name}", kind, detail, at, fields)
    return at


def _place(fielddefs: Mapping[str, Any], msgtype: str, path: str, kind: int, detail: Any, at: int,
           fields: dict[str, tuple[list[int], str]]) -> int:
    from rosbags.interfaces import Nodetype

    if kind == Nodetype.BASE and detail[0] in _PRIMITIVES:
        code = _PRIMITIVES[detail[0]]
        size = int(code[1])
        at += -at % size  # CDR: a primitive is aligned to its size, counted from the end of the 4-byte header
        fields.setdefault(path, ([], code))[0].append(at)
        return at + size
    if kind == Nodetype.NAME:
        return _walk(fielddefs, detail, f"{path}.", at, fields)
    if kind == Nodetype.ARRAY:
        (inner_kind, inner_detail), count = detail
        for _ in range(count):
            at = _place(fielddefs, msgtype, path, inner_kind, inner_detail, at, fields)
        return at
    raise RobotAcError(f"{msgtype}: field '{path}' is a string or a sequence; only fixed-size messages are decoded "
                       "in bulk")


def decode_fixed(raws: Sequence[bytes], layout: FixedLayout, names: Sequence[str]
                 ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The fields ``names`` of the CDR messages ``raws``: (indices of the messages decoded, field -> [n, k]
    float64). Messages of another size (a serialiser may pad the payload to whole 4-byte words) or without a plain
    CDR header are left out; the caller counts them."""
    sizes = np.fromiter((len(r) for r in raws), dtype=np.int64, count=len(raws))
    members = np.nonzero((sizes >= layout.size) & (sizes < layout.size + 4))[0]
    block = np.frombuffer(b"".join(raws[i][:layout.size] for i in members), np.uint8).reshape(-1, layout.size)
    plain_cdr = (block[:, 0] == 0) & (block[:, 1] <= 1)  # CDR_BE (00 00) or CDR_LE (00 01)
    members, block = members[plain_cdr], block[plain_cdr]
    little = block[:, 1] == 1
    decoded = {}
    for name in names:
        offsets, code = layout.fields[name]
        width = int(code[1])
        raw = np.ascontiguousarray(block[:, offsets[:, None] + np.arange(width)])  # [n, k, width] bytes
        values = np.empty(raw.shape[:2])
        for order, rows in (("<", little), (">", ~little)):
            if rows.any():
                values[rows] = raw[rows].view(order + code)[..., 0]
        decoded[name] = values
    return members, decoded
