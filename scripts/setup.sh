#!/usr/bin/env bash
# Debian packages the tests need, installed only when missing (idempotent; needs root or sudo):
#   chromium            browser for the Playwright tests, and SwiftShader (CPU Vulkan) for WebGPU
#   libvulkan1          the Vulkan loader that Dawn (the `webgpu` npm package) opens
#   mesa-vulkan-drivers Mesa's software drivers (llvmpipe through Dawn's OpenGL ES backend)
#   nginx-light         load balancer in front of offload servers (fleet test, scripts/fleet.sh)
#   python3-torch       PyTorch 1.13: the independent oracle of the LLM architectures (test/oracle/llm_oracle.py)
#   python3-torchvision, python3-onnx  torchvision 0.14 and onnx: PyTorch-exported test models
#                       (test/oracle/export_torch_models.py)

set -euo pipefail
pkgs=(chromium libvulkan1 mesa-vulkan-drivers nginx-light python3-torch python3-torchvision python3-onnx)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: Debian packages present (${pkgs[*]})"
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
