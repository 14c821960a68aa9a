#!/bin/bash
# Device check: Switchyard's WebGPU backend on a real GPU through Dawn's Vulkan
# backend. Run from the repo root with .gpu (kit.tar.xz from scripts/device/make-kit.sh: node,
# node_modules, dist, wasm build, conformance data), .gl (libvulkan1 and the GL dispatch
# libraries) and dist/test carried. QUICK=1 shrinks every step (local dry run); LOCAL=1 leaves the
# system libraries alone.
set -u
OUT=${OUT:-/tmp/gpu-out}; mkdir -p "$OUT"
T0=$(date +%s); t() { echo "[+$(( $(date +%s) - T0 ))s] $*"; }
if [ -z "${LOCAL:-}" ]; then for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
t extract
tar -xJf .gpu/kit.tar.xz 2>/dev/null ||
  python3 -c "import lzma,tarfile;tarfile.open(fileobj=lzma.open('.gpu/kit.tar.xz')).extractall('.')"
export PATH=$PWD/node/bin:$PATH
for icd in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json \
  /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$icd" ]; then export VK_ICD_FILENAMES=$icd VK_DRIVER_FILES=$icd; break; fi
done
export XDG_RUNTIME_DIR=/tmp
t "node $(node --version), ICD ${VK_ICD_FILENAMES:-none}"
(nvidia-smi -L; nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,memory.total --format=csv) 2>&1 |
  tee "$OUT/gpu.txt"
nproc >> "$OUT/gpu.txt"
timeout 60 node bin/switchyard.js devices 2>&1 | tee "$OUT/devices.txt"
if [ -z "${LOCAL:-}" ] && ! grep -qi nvidia "$OUT/devices.txt"; then
  echo "no NVIDIA adapter: diagnostics"
  ls /usr/local/nvidia /usr/local/nvidia/lib* /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>&1 | head -40
  cat "${VK_ICD_FILENAMES:-/dev/null}"
  ldd "$(ldconfig -p | grep -m1 libGLX_nvidia.so.0 | awk '{print $NF}')" 2>&1 | grep -i 'not found'
  ls -la /dev/nvidia* /dev/dri 2>&1
  exit 1
fi

t "f16 kernels (precision test)"
SWITCHYARD_SKIP_WEBGPU=1 timeout 60 node --test dist/test/webgpu/precision.test.js 2>&1 |
  grep -E '^# [^e]|^ok|^not ok|SKIP|Error|error:' | grep -v XDG | tee "$OUT/f16.txt"

if [ -n "${QUICK:-}" ]; then W=matmul-256; H="--only two-towers --runs 1"; F="--filter test_add"; else
  W=matmul-1024,encoder-minilm6,gpt2-decode,add-16m,vecsearch-100k; H="--quick"; F=""; fi

t "peers bench ($W)"
(cd bench/peers && SWITCHYARD_BENCH_GPU=1 timeout ${PEERS_S:-220} node src/run.js --no-peak \
  --adapter adapters/switchyard-webgpu.js --peers switchyard-webgpu/default,ort-node-webgpu,ort-node/t1 \
  --workloads $W --timeout 60 --min-runs 10 --out "$OUT/peers-gpu.json") > "$OUT/peers.log" 2>&1
grep -E '^\[|error|Error' "$OUT/peers.log" | tail -30

t "hetero bench ($H)"
timeout ${HETERO_S:-130} node --expose-gc dist/bench/hetero/run.js $H > "$OUT/hetero.log" 2>&1
grep -v calibrating "$OUT/hetero.log" | tail -60
tar -czf "$OUT/hetero-results.tgz" bench/results 2>/dev/null

t "conformance (webgpu, default adapter)"
timeout ${CONF_S:-120} node bin/switchyard.js conformance conformance/onnx-node --backend webgpu --adapter default $F \
  --json > "$OUT/conformance.json" 2> "$OUT/conformance.err"
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
console.log(r.passed + " passed, " + r.failed + " failed, " + r.skipped + " skipped");
for (const x of r.results) if (x.status !== "pass") console.log(x.name, x.status, (x.message || "").slice(0, 160));
' "$OUT/conformance.json" 2>&1 | head -40
tail -5 "$OUT/conformance.err"
t done
