#!/usr/bin/env bash
# Updates the phone-number metadata, and the corpus that proves the service agrees with
# libphonenumber on it. rlibphonenumber carries libphonenumber's metadata in each release; the
# service embeds a trimmed copy (shared/src/domain/phone-metadata.pb.zlib, without the formats and
# examples it never reads), rewritten here from the crate's;
# Python `phonenumbers` (libphonenumber's port) is pinned to the same metadata version and
# judges every number of tests/phones/corpus.tsv, which tests/suite/phone_numbers.rs checks.
#
#   scripts/phone-metadata.sh <rlibphonenumber version> <libphonenumber metadata version>
#   scripts/phone-metadata.sh 2.2.15 9.0.42
#
# Then run the test command: any disagreement is a failing test naming the number.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 2 ] || { sed -n '2,10p' "$0"; exit 2; }
crate="$1" metadata="$2"
sed -i -E "s/^(rlibphonenumber = \{ version = \")=[^\"]+/\1=$crate/" Cargo.toml
sed -i -E "s/\(9\.[0-9]+\.[0-9]+ in [0-9.]+\)/($metadata in $crate)/" Cargo.toml
cargo update --quiet -p rlibphonenumber --precise "$crate"
source=$(cargo metadata --format-version 1 | python3 -c '
import json, os, sys
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "rlibphonenumber":
        print(os.path.join(os.path.dirname(p["manifest_path"]), "src/generated/metadata/metadata.bin"))')
python3 scripts/trim_phone_metadata.py "$source" shared/src/domain/phone-metadata.pb.zlib
echo "phonenumbers==$metadata" > tests/phones/requirements.txt
VENV="${OTP_VENV:-.venv}"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r tests/phones/requirements.txt
"$VENV/bin/python" tests/phones/make_corpus.py tests/phones/corpus.tsv
