#!/usr/bin/env bash
# Build the ROS message packages of ros_ws/src that PyPI has no wheel for (unitree_hg) with colcon, from the PyPI
# ament / rosidl wheels, and install them into .venv, which those wheels made a ROS prefix (share/, lib/,
# include/): `from unitree_hg.msg import LowCmd` then works without sourcing anything. Skips a package whose
# sources have not changed since it was installed.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="$PWD/.venv"
for package in unitree_hg; do
    source_dir="ros_ws/src/$package"
    stamp="$venv/share/$package/robot_ac_sources.sha256"
    digest=$(cat "$source_dir"/package.xml "$source_dir"/CMakeLists.txt "$source_dir"/msg/*.msg | sha256sum | cut -d' ' -f1)
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$digest" ] && "$venv/bin/python" -c "import $package.msg" 2>/dev/null; then
        continue
    fi
    echo "setup: building ROS messages $package (colcon, ~30 s)"
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && AMENT_PREFIX_PATH="$venv" CMAKE_PREFIX_PATH="$venv" PATH="$venv/bin:$PATH" \
        "$venv/bin/colcon" build --base-paths "$OLDPWD/$source_dir" --merge-install --install-base "$work/install" \
        --event-handlers console_direct- --cmake-args -DBUILD_TESTING=OFF -DPython3_EXECUTABLE="$venv/bin/python3" \
        > "$work/build.log" 2>&1) || { tail -40 "$work/build.log" >&2; echo "setup: error: building $package failed" >&2; exit 1; }
    install="$work/install"
    cp -a "$install"/lib/lib"$package"__* "$venv/lib/"
    cp -a "$install"/lib/python3.12/site-packages/"$package"* "$venv/lib/python3.12/site-packages/"
    mkdir -p "$venv/include" "$venv/share/ament_index/resource_index"
    cp -a "$install/include/$package" "$venv/include/"
    cp -a "$install/share/$package" "$venv/share/"
    cp -a "$install/share/ament_index/resource_index/." "$venv/share/ament_index/resource_index/"
    echo "$digest" > "$stamp"
    rm -rf "$work"
    trap - EXIT
done
