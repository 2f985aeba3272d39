#!/usr/bin/env bash
# Fetches real model files into testdata/models (git-ignored) from npm
# packages that ship them. Safe to run again: files already present are kept.
#
#   silero_vad_v5.onnx, silero_vad_v6.onnx     npm @ricky0123/vad-web@0.0.31
#   pose_landmark_{lite,full,heavy}.tflite     npm @mediapipe/pose@0.5.1675469404
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
out=models

if ! command -v npm >/dev/null 2>&1; then
	echo "fetch-models: npm is required (install Node.js/npm, e.g. apt-get install npm)" >&2
	exit 1
fi

mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fetch PACKAGE@VERSION FILE... : packs the package and copies each FILE (a
# path inside the package) into $out, unless all of them are already there.
fetch() {
	local pkg=$1
	shift
	local missing=0 f
	for f in "$@"; do
		[ -e "$out/$(basename "$f")" ] || missing=1
	done
	if [ "$missing" = 0 ]; then
		echo "fetch-models: $pkg: already present"
		return
	fi
	local dir="$tmp/$(echo "$pkg" | tr '/@' '__')"
	mkdir -p "$dir"
	echo "fetch-models: npm pack $pkg"
	local tgz
	tgz=$(cd "$dir" && npm pack --silent "$pkg" | tail -n 1)
	tar -xzf "$dir/$tgz" -C "$dir"
	for f in "$@"; do
		local name
		name=$(basename "$f")
		if [ ! -f "$dir/package/$f" ]; then
			echo "fetch-models: $pkg has no $f" >&2
			exit 1
		fi
		# Copy then rename, so an interrupted run leaves no partial model.
		install -m 0644 "$dir/package/$f" "$out/.$name.part"
		mv "$out/.$name.part" "$out/$name"
		echo "fetch-models: $out/$name"
	done
}

fetch @ricky0123/vad-web@0.0.31 dist/silero_vad_v5.onnx dist/silero_vad_v6.onnx
fetch @mediapipe/pose@0.5.1675469404 \
	pose_landmark_lite.tflite pose_landmark_full.tflite pose_landmark_heavy.tflite

ls -l "$out"
