"""Bulk CDR decoding against rosbags' own deserialiser: same numbers for every layout, both byte orders, batches
that mix layouts; malformed messages are refused by name."""

from __future__ import annotations

import numpy as np
import pytest

from robot_ac.errors import RobotAcError
from robot_ac.replay import cdr
from robot_ac.replay.bag_writer import BagWriter


@pytest.fixture(scope="module")
def types(tmp_path_factory):
    return BagWriter(tmp_path_factory.mktemp("unused") / "bag")


def joint_states(w: BagWriter, rng, names, n, velocity=True):
    msgs = []
    for k in range(n):
        values = rng.normal(size=(3, len(names)))
        msgs.append(w.types["sensor_msgs/msg/JointState"](
            header=w.header(k * 1e-3), name=list(names), position=values[0],
            velocity=values[1] if velocity else np.zeros(0), effort=np.zeros(0)))
    return msgs


@pytest.mark.parametrize("little_endian", [True, False])
def test_joint_states_decode_like_rosbags(types, little_endian):
    rng = np.random.default_rng(0)
    g1 = [f"joint_{i}" for i in range(29)]
    # Three layouts in one batch: 29 joints, another name of the same length (same size, other bytes), 2 joints
    # without velocities.
    msgs = joint_states(types, rng, g1, 50) + joint_states(types, rng, g1[:-1] + ["joint_X8"], 3)
    msgs += joint_states(types, rng, ["a", "b"], 4, velocity=False) + joint_states(types, rng, g1, 20)
    raws = [bytes(types.typestore.serialize_cdr(m, m.__msgtype__, little_endian=little_endian)) for m in msgs]
    decoded = {}
    for layout, members, arrays in cdr.decode_batch(raws, cdr.joint_state_layout):
        for row, i in enumerate(members):
            decoded[int(i)] = (layout.names, arrays["position"][row], arrays["velocity"][row])
    assert sorted(decoded) == list(range(len(msgs)))
    for i, msg in enumerate(msgs):
        names, position, velocity = decoded[i]
        assert names == tuple(msg.name)
        np.testing.assert_array_equal(position, msg.position)
        np.testing.assert_array_equal(velocity, msg.velocity)
    groups = cdr.decode_batch(raws, cdr.joint_state_layout)
    assert max(len(members) for _, members, _ in groups) == 70, "the common layout is decoded as one block"


def test_arrays_imu_and_images(types):
    rng = np.random.default_rng(1)
    dim = types.types["std_msgs/msg/MultiArrayDimension"](label="joints", size=3, stride=3)
    layout = types.types["std_msgs/msg/MultiArrayLayout"](dim=[dim], data_offset=0)
    arrays = [types.types["std_msgs/msg/Float64MultiArray"](layout=layout, data=rng.normal(size=3)) for _ in range(5)]
    raws = [bytes(types.typestore.serialize_cdr(m, m.__msgtype__)) for m in arrays]
    ((_, members, fields),) = cdr.decode_batch(raws, cdr.float64_multi_array_layout)
    np.testing.assert_array_equal(fields["data"], np.stack([m.data for m in arrays]))

    vector, quaternion = types.types["geometry_msgs/msg/Vector3"], types.types["geometry_msgs/msg/Quaternion"]
    imu = types.types["sensor_msgs/msg/Imu"](
        header=types.header(1.5), orientation=quaternion(x=0.1, y=0.2, z=0.3, w=0.9),
        orientation_covariance=rng.normal(size=9), angular_velocity=vector(x=1.0, y=2.0, z=3.0),
        angular_velocity_covariance=rng.normal(size=9), linear_acceleration=vector(x=4.0, y=5.0, z=9.81),
        linear_acceleration_covariance=rng.normal(size=9))
    layout_imu = cdr.imu_layout(bytes(types.typestore.serialize_cdr(imu, imu.__msgtype__, little_endian=False)))
    raw = bytes(types.typestore.serialize_cdr(imu, imu.__msgtype__, little_endian=False))
    np.testing.assert_array_equal(layout_imu.float64(raw, "orientation"), [0.1, 0.2, 0.3, 0.9])
    np.testing.assert_array_equal(layout_imu.float64(raw, "linear_acceleration"), [4.0, 5.0, 9.81])

    rgb = rng.integers(0, 255, size=(6, 5, 3), dtype=np.uint8)
    bgr = types.types["sensor_msgs/msg/Image"](header=types.header(0.0), height=6, width=5, encoding="bgr8",
                                               is_bigendian=0, step=16, data=np.pad(rgb[..., ::-1].reshape(6, 15),
                                                                                    ((0, 0), (0, 1))).reshape(-1))
    view = cdr.image(bytes(types.typestore.serialize_cdr(bgr, bgr.__msgtype__)))
    assert view.encoding == "bgr8"
    np.testing.assert_array_equal(view.pixels, rgb, err_msg="row padding dropped, BGR turned into RGB")


def test_malformed_messages_are_refused_by_name(types):
    msg = joint_states(types, np.random.default_rng(2), ["a", "b"], 1)[0]
    raw = bytes(types.typestore.serialize_cdr(msg, msg.__msgtype__))
    with pytest.raises(RobotAcError, match="JointState.*runs past"):
        cdr.joint_state_layout(raw[:-12])
    with pytest.raises(RobotAcError, match="not CDR"):
        cdr.joint_state_layout(b"\x00\x07" + raw[2:])
    depth = types.types["sensor_msgs/msg/Image"](header=types.header(0.0), height=1, width=1, encoding="32FC1",
                                                 is_bigendian=0, step=4, data=np.zeros(4, np.uint8))
    with pytest.raises(RobotAcError, match="encoding '32FC1' is not supported"):
        cdr.image(bytes(types.typestore.serialize_cdr(depth, depth.__msgtype__)))
