"""`robot-ac bench deploy --path lowcmd`: the G1's LowState -> LowCmd round trip of the policy node (the zoo's
g1-stand on unitree_g1.yaml, started by the remote in the driver's LowState) against a bare LowCmd-with-CRC echo."""

from __future__ import annotations

import json

import pytest


def test_bench_deploy_lowcmd_reaches_policy_and_measures_both_nodes(tmp_path, cli) -> None:
    pytest.importorskip("unitree_hg.msg", reason="unitree_hg is built by scripts/setup.sh")
    code, _, _ = cli(["bench", "deploy", "--duration-s", "1", "--rate-hz", "50", "--path", "lowcmd",
                      "--out-dir", str(tmp_path)])
    assert code == 0
    (result_file,) = tmp_path.glob("bench_deploy_lowcmd_50hz_*.json")
    result = json.loads(result_file.read_text())
    assert result["path"] == "lowcmd" and result["policy"] == "policies/g1-stand/dagger-expert-seed1"
    for name in ("robot_ac_policy_node", "bare_echo"):
        node = result["nodes"][name]
        assert node["ticks"] == 50 and node["missed_ticks"] < 25, f"{name} answered fewer than half: {node}"
        assert 0 < node["round_trip_ms"]["p50"] <= node["round_trip_ms"]["p99"] <= node["round_trip_ms"]["max"]
    ours = result["nodes"]["robot_ac_policy_node"]
    assert ours["lowcmds_in_policy"] == ours["ticks"] - ours["missed_ticks"], f"each LowCmd from POLICY: {ours}"
    costs = result["lowcmd_cost_us"]
    assert 0 < costs["crc32_words"] < costs["crc32_words_reference"] and costs["lowcmd_crc"] > 0
    assert result["p99_ratio_to_bare_echo"] > 0
    assert result_file.with_suffix(".png").read_bytes()[:4] == b"\x89PNG"
