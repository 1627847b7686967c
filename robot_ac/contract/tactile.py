"""Tactile observations as training and the robot share them: the image preprocessing (one definition; the
numpy/OpenCV implementation for the robot is here, its torch twin for GPU training is
:func:`sim.tactile.preprocessing.preprocess_torch`, tested to agree) and the layout of the tactile images inside the
flat policy vector (:class:`TactileLayout`).

A policy that reads a GelSight image gets ``scale * (resize(image) - resize(reference))`` (``mode="difference"``,
the reference being the untouched gel: the simulator's no-contact image in training, frames captured before contact
on the robot) or ``scale * resize(image)`` (``mode="image"``), as float32 [3, height, width], RGB. Resizing averages
pixel blocks (OpenCV INTER_AREA); the source size must be an integer multiple of the target size so that both
implementations compute exactly the same averages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from robot_ac.errors import RobotAcError

if TYPE_CHECKING:
    from robot_ac.contract.manifest import PolicyInterface


@dataclass(frozen=True)
class TactilePreprocessing:
    height: int
    width: int
    mode: Literal["image", "difference"] = "difference"
    scale: float = 1.0 / 255.0

    @property
    def size(self) -> int:
        """Floats per tactile sensor in the observation vector."""
        return 3 * self.height * self.width

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def block_factors(self, shape: tuple[int, ...]) -> tuple[int, int]:
        """Rows and columns of source pixels averaged into one policy pixel, for images of ``shape`` (..., H, W, 3)."""
        if len(shape) < 3 or shape[-1] != 3:
            raise RobotAcError(f"tactile image has shape {shape}, expected (..., H, W, 3) RGB")
        rows, cols = shape[-3], shape[-2]
        if rows % self.height or cols % self.width:
            raise RobotAcError(f"tactile image {cols} x {rows} cannot be block-averaged to {self.width} x "
                               f"{self.height} (needs integer factors)")
        return rows // self.height, cols // self.width

    def apply(self, image: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
        """[H, W, 3] uint8 RGB (and the reference of the same shape) -> float32 [3, height, width] (OpenCV)."""
        import cv2

        self.block_factors(image.shape)
        def block_mean(x: np.ndarray) -> np.ndarray:
            # In float32: OpenCV's uint8 path rounds the block means, the torch twin does not.
            return cv2.resize(x.astype(np.float32), (self.width, self.height), interpolation=cv2.INTER_AREA)

        resized = block_mean(image)
        if self.mode == "difference":
            if reference is None or reference.shape != image.shape:
                raise RobotAcError("tactile difference preprocessing needs a reference (no-contact) image of the "
                                   f"same shape as the image {image.shape}")
            resized -= block_mean(reference)
        return np.ascontiguousarray((resized * np.float32(self.scale)).transpose(2, 0, 1))


@dataclass(frozen=True)
class TactileLayout:
    """Where the tactile images are in the flat policy vector: ``pads`` images of 3 x height x width, contiguous
    from ``start``, each laid out (channel, row, column)."""

    start: int
    pads: int
    height: int
    width: int

    @property
    def size(self) -> int:
        return self.pads * 3 * self.height * self.width

    @classmethod
    def of(cls, interface: PolicyInterface) -> TactileLayout | None:
        """The layout an interface's tactile image terms imply; None without any."""
        sizes = [term.size for term in interface.observations]
        tactile = [i for i, term in enumerate(interface.observations) if term.source == "tactile"]
        if not tactile:
            return None
        if interface.tactile is None:
            raise RobotAcError(f"task '{interface.task}': tactile observation terms need the interface's tactile "
                               "preprocessing (image size)")
        if tactile != list(range(tactile[0], tactile[-1] + 1)) or interface.history_length != 1:
            raise RobotAcError(f"task '{interface.task}': the tactile student needs its tactile terms side by side "
                               "and no observation history")
        return cls(start=sum(sizes[:tactile[0]]), pads=len(tactile), height=interface.tactile["height"],
                   width=interface.tactile["width"])
