#!/usr/bin/env bash
# Set up robot-ac for development and tests: find (or install) Python 3.12, create .venv, install the project
# editable with the simulation and test extras. Safe to run again: it reuses .venv and only installs what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

find_python312() {
    local candidate
    for candidate in "${PYTHON:-}" python3.12 "$HOME/.pyenv/versions/"3.12*/bin/python3.12 \
                     /usr/local/bin/python3.12 /usr/bin/python3.12 /opt/conda/bin/python3.12; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null 2>&1 \
           && "$candidate" -c 'import sys, venv; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if ! PY=$(find_python312); then
    if command -v pyenv >/dev/null 2>&1; then
        echo "setup: no Python 3.12 found; installing one with pyenv (compiles, takes a few minutes)"
        pyenv install --skip-existing 3.12
        PY=$(find_python312)
    elif command -v apt-get >/dev/null 2>&1 && apt-cache show python3.12-venv >/dev/null 2>&1; then
        echo "setup: no Python 3.12 found; installing python3.12-venv with apt-get"
        apt-get install -y python3.12-venv
        PY=$(find_python312)
    else
        echo "setup: error: Isaac Lab 3 needs Python 3.12 and none was found." >&2
        echo "       Install it (pyenv install 3.12, your package manager, or python.org), or point PYTHON at it:" >&2
        echo "       PYTHON=/path/to/python3.12 ./scripts/setup.sh" >&2
        exit 1
    fi
fi
echo "setup: using $PY ($("$PY" --version))"

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info[:2] == (3, 12)' 2>/dev/null; then
    rm -rf .venv
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
# isaaclab==3.0.0 (kit-less, Newton) brings torch 2.11, warp, newton, mujoco-warp and rsl-rl-lib: ~3 min, ~7 GB.
.venv/bin/python -m pip install --quiet --progress-bar off -e ".[learn,sim,ros,rosbuild,test]"
# ROS message packages with no PyPI wheel (unitree_hg: the G1's LowCmd / LowState), built into .venv.
bash scripts/build_ros_messages.sh

# Cyclone DDS 0.10.2 (the G1's DDS) with its DDS-Security plugins, from Debian, and its Python binding built against
# it: the DDS-Security test of our keystores and the plain-DDS peers. The binding looks for include/, bin/ and
# lib/libddsc.so under CYCLONEDDS_HOME; Debian keeps the library in the multiarch directory, hence the small prefix.
if ! [ -f /usr/include/dds/dds.h ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's Cyclone DDS (cyclonedds-dev) and openssl"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
    $SUDO apt-get install -y -q cyclonedds-dev openssl >/dev/null \
        || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q cyclonedds-dev openssl >/dev/null; }
fi
if [ -f /usr/include/dds/dds.h ] && ! .venv/bin/python -c "import cyclonedds.domain" 2>/dev/null; then
    home=.venv/cyclonedds-home
    mkdir -p "$home"
    ln -sfn /usr/include "$home/include"
    ln -sfn /usr/bin "$home/bin"
    ln -sfn "/usr/lib/$(gcc -dumpmachine)" "$home/lib"
    CYCLONEDDS_HOME="$PWD/$home" .venv/bin/python -m pip install --quiet --progress-bar off "cyclonedds==0.10.2"
elif ! [ -f /usr/include/dds/dds.h ]; then
    echo "setup: note: no Cyclone DDS (not a Debian system?): the DDS-Security tests will be skipped"
fi
.venv/bin/python -c "import robot_ac, sim.tasks, isaaclab, newton, warp, rsl_rl, onnxruntime, rclpy, robot_ac_ros, unitree_hg.msg; print(\"setup: ok\")"
