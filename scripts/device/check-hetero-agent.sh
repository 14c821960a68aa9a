#!/bin/bash
# Second device check: the heterogeneous bench in full (10 runs) and bench:agent (GPT-2-size decode on
# WASM, WebGPU, onnxruntime; the agent example) on the real GPU.
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
T0=$(date +%s); t() { echo "[+$(( $(date +%s) - T0 ))s] $*"; }
if [ -z "${LOCAL:-}" ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
[ -d node/bin ] || tar -xJf .gpu/kit.tar.xz --exclude=dist/src
export PATH=$PWD/node/bin:$PATH XDG_RUNTIME_DIR=/tmp
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f $icd ] && export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd
[ -e node_modules/onnxruntime-node ] || ln -s ../bench/peers/node_modules/onnxruntime-node node_modules/onnxruntime-node
[ -e node_modules/onnxruntime-common ] ||
  ln -s ../bench/peers/node_modules/onnxruntime-common node_modules/onnxruntime-common
rm -rf bench/results
t "hetero bench (full)"
timeout ${HETERO_S:-200} node --expose-gc dist/bench/hetero/run.js ${HQ:-} > "$OUT/hetero.log" 2>&1
grep -v calibrating "$OUT/hetero.log" | grep -v -i warning | tail -62
tar -czf "$OUT/hetero-results.tgz" bench/results 2>/dev/null
[ -n "${SKIP_AGENT:-}" ] && exit 0
t "bench:agent"
timeout ${AGENT_S:-170} node dist/bench/agent.js ${AQ:-} > "$OUT/agent.log" 2>&1
grep -v -i 'warning\|at \|XDG' "$OUT/agent.log" | tail -60
t done
