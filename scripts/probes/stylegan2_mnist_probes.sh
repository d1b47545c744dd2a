#!/usr/bin/env bash
# Short probes of the stylegan2 preset's MNIST collapse (docs/MODELS.md "Bundled MNIST"): each variant trains
# 300 steps of 32 on the first 1,600 digits (the probes' protocol there), two at a time, then is judged by
# `gantry eval` (FID and classes on 1,000 images). Usage: stylegan2_mnist_probes.sh OUTDIR 'NAME|ARGS' ...
# ARGS may start with `@DIR ` to run gantry from another checkout (a patched copy).
set -u
out=$1; shift
mkdir -p "$out"
run() {
  local name=${1%%|*} args=${1#*|} root=$PWD
  if [[ $args == @* ]]; then root=${args%% *}; root=${root#@}; args=${args#* }; fi
  # shellcheck disable=SC2086
  node "$root/bin/gantry.js" train --preset stylegan2 --dataset mnist --limit 1600 --epochs 6 --ema 0 --out "$out/$name" $args > "$out/$name.log" 2>&1
  node "$root/bin/gantry.js" eval --run "$out/$name" --count 1000 --metrics fid,modes --json > "$out/$name.eval.json" 2>>"$out/$name.log"
  echo "$name $(cat "$out/$name.eval.json")"
}
while (($#)); do
  run "$1" & shift
  if (($#)); then run "$1" & shift; fi
  wait
done
