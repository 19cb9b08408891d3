#!/usr/bin/env bash
# The official ebInterface 6.1 XSD (AUSTRIAPRO) for the tests. It is published without a licence, so it is
# not committed: fetched once into .data/schemas/ from AUSTRIAPRO's repository at a pinned commit and
# checked against its SHA-256 (schema version 6.1, last update 2022-06-25).
set -euo pipefail
dest=".data/schemas/ebinterface-6.1.xsd"
sha="8c736ca0953c5b0128210bc75dfa1b8b96e9743e856b5d339eaf825c137fab7c"
url="https://raw.githubusercontent.com/austriapro/ebinterface-standards/787f0825df3dd8374b486cd4eaabcf606c45e670/schemas/ebInterface6p1/Invoice.xsd"
if [ -f "$dest" ] && echo "$sha  $dest" | sha256sum -c --status; then exit 0; fi
mkdir -p "$(dirname "$dest")"
if ! curl -fsSL --retry 2 -o "$dest.tmp" "$url"; then
  rm -f "$dest.tmp"
  echo "Could not download the ebInterface 6.1 XSD from $url; put it at $dest by hand." >&2
  exit 1
fi
echo "$sha  $dest.tmp" | sha256sum -c --status || { rm -f "$dest.tmp"; echo "ebInterface XSD checksum mismatch" >&2; exit 1; }
mv "$dest.tmp" "$dest"
