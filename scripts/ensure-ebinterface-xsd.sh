#!/usr/bin/env bash
# The official ebInterface 6.1 XSD (AUSTRIAPRO) for the tests. It is published without a licence, so it is
# not committed: taken from the machine's cache, else fetched from AUSTRIAPRO's repository at a pinned commit,
# and always checked against its SHA-256 (schema version 6.1, last update 2022-06-25).
set -euo pipefail
dest=".data/schemas/ebinterface-6.1.xsd"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/smartprod/ebinterface-6.1.xsd"
sha="8c736ca0953c5b0128210bc75dfa1b8b96e9743e856b5d339eaf825c137fab7c"
url="https://raw.githubusercontent.com/austriapro/ebinterface-standards/787f0825df3dd8374b486cd4eaabcf606c45e670/schemas/ebInterface6p1/Invoice.xsd"
ok() { [ -f "$1" ] && echo "$sha  $1" | sha256sum -c --status; }
ok "$dest" && exit 0
mkdir -p "$(dirname "$dest")"
if ok "$cache"; then cp "$cache" "$dest"; exit 0; fi
if ! curl -fsSL --retry 2 -o "$dest.tmp" "$url" || ! ok "$dest.tmp"; then
  rm -f "$dest.tmp"
  echo "Could not get the ebInterface 6.1 XSD (SHA-256 $sha) from $url;" >&2
  echo "put it at $dest or $cache by hand." >&2
  exit 1
fi
mv "$dest.tmp" "$dest"
mkdir -p "$(dirname "$cache")" && cp "$dest" "$cache"
