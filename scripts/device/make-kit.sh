#!/bin/bash
# Packs what the device checks need on a bare GPU machine that has no Node and no registry:
# .gpu/kit.tar.xz (this machine's node binary, production node_modules with the linux-x64 Dawn
# only, the peers harness's onnxruntime-node, dist/, the WASM kernels, the shared conformance
# data) and .gl/ (the Vulkan loader and GL dispatch .debs NVIDIA's ICD needs). Both paths are in
# .git/info/exclude and travel with the `device` tool's `carry`; the tree must stay under 64 MiB.
#   npm run build && bash scripts/device/make-kit.sh   then   carry [".gpu", ".gl"]: bash scripts/device/check.sh
set -eu
repo=$(cd "$(dirname "$0")/../.." && pwd); kit=$(mktemp -d)
grep -qs '^/.gpu/' "$repo/.git/info/exclude" || printf '/.gl/\n/.gpu/\n' >> "$repo/.git/info/exclude"
cp "$repo/package.json" "$repo/package-lock.json" "$kit/"
(cd "$kit" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
mkdir -p "$kit/bench/peers/node_modules"
for d in "$repo"/bench/peers/node_modules/*; do
  case $(basename "$d") in
    @tensorflow | onnxruntime-web | playwright-core | webgpu) ;;
    *) cp -r "$d" "$kit/bench/peers/node_modules/" ;;
  esac
done
rm -rf "$kit"/node_modules/webgpu/dist/{win32-x64,win32-arm64,darwin-universal,linux-arm64}
rm -rf "$kit"/bench/peers/node_modules/onnxruntime-node/bin/napi-v6/{darwin,win32,linux/arm64}
mkdir -p "$kit/node/bin" "$kit/dist" "$kit/wasm"
cp "$(command -v node)" "$kit/node/bin/"
cp -r "$repo/../shared/conformance" "$kit/conformance"
cp -r "$repo"/dist/{src,bench,scripts} "$kit/dist/"; cp -r "$repo/wasm/build" "$kit/wasm/"
mkdir -p "$repo/.gpu" "$repo/.gl"
(cd "$kit" && tar -cf - node node_modules bench dist wasm conformance | xz -T2 -6 > "$repo/.gpu/kit.tar.xz")
o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'; mkdir -p /tmp/amd64/partial
apt-get $o update >/dev/null
(cd "$repo/.gl" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
rm -rf "$kit"; du -sh "$repo/.gpu" "$repo/.gl"
