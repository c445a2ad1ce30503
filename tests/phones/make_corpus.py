"""Makes tests/phones/corpus.tsv: phone numbers as libphonenumber judges them.

Run by scripts/phone-metadata.sh with Python `phonenumbers` pinned to the metadata version of
the Rust side. Deterministic (seeded). Every region and non-geographic calling code in the
metadata, every number type with an example, each as the example (valid), and mutations of it
(another last digit, one digit more or fewer, mostly invalid); each in international form and,
for regions, in national form with the region (the header contract's `countryCode`).

Columns: input, region ("" for international input), valid (1/0), region of the number,
E.164 ("" where libphonenumber does not parse it).
"""

import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

TYPES = [
    PhoneNumberType.FIXED_LINE, PhoneNumberType.MOBILE, PhoneNumberType.TOLL_FREE,
    PhoneNumberType.PREMIUM_RATE, PhoneNumberType.SHARED_COST, PhoneNumberType.VOIP,
    PhoneNumberType.PERSONAL_NUMBER, PhoneNumberType.PAGER, PhoneNumberType.UAN,
    PhoneNumberType.VOICEMAIL,
]


def judged(text, region):
    try:
        n = phonenumbers.parse(text, region or None)
    except phonenumbers.NumberParseException:
        return None
    valid = phonenumbers.is_valid_number(n)
    return (
        "1" if valid else "0",
        phonenumbers.region_code_for_number(n) or "",
        phonenumbers.format_number(n, PhoneNumberFormat.E164),
    )


def variants(nsn, rng):
    """The example's national significant number and mutations of it."""
    out = [nsn]
    for _ in range(6):
        i = rng.randrange(len(nsn))
        out.append(nsn[:i] + str(rng.randrange(10)) + nsn[i + 1:])
    if len(nsn) > 2:
        i = rng.randrange(len(nsn) - 1)
        out.append(nsn[:i] + nsn[i + 1] + nsn[i] + nsn[i + 2:])
    out.append(nsn[:-1])
    out.append(nsn + str(rng.randrange(10)))
    return out


def national_form(number):
    text = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    return "".join(c for c in text if c.isdigit() or c == " ").strip()


def main(path):
    rng = random.Random(20261130)
    rows = []
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for t in TYPES:
            ex = phonenumbers.example_number_for_type(region, t)
            if ex is not None:
                examples.append((region, ex))
    for code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        ex = phonenumbers.example_number_for_non_geo_entity(code)
        if ex is not None:
            examples.append(("", ex))
    for region, ex in examples:
        code = ex.country_code
        for nsn in variants(phonenumbers.national_significant_number(ex), rng):
            international = f"+{code}{nsn}"
            rows.append((international, ""))
            if region:
                try:
                    n = phonenumbers.parse(international, None)
                    rows.append((national_form(n), region))
                except phonenumbers.NumberParseException:
                    pass
    seen = set()
    with open(path, "w", encoding="utf-8") as f:
        f.write(f"# phonenumbers {phonenumbers.__version__}: input\tregion\tvalid\tnumber_region\te164\n")
        for text, region in rows:
            if (text, region) in seen or not text:
                continue
            seen.add((text, region))
            j = judged(text, region)
            if j is None:
                f.write(f"{text}\t{region}\t0\t\t\n")
            else:
                f.write(f"{text}\t{region}\t{j[0]}\t{j[1]}\t{j[2]}\n")
    print(f"{len(seen)} numbers written to {path} (phonenumbers {phonenumbers.__version__})")


if __name__ == "__main__":
    main(sys.argv[1])
