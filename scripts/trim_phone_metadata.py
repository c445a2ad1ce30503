"""Writes the phone metadata the service embeds: rlibphonenumber's `metadata.bin`
(libphonenumber's PhoneMetadataCollection, protobuf) without what parsing, validating and
E.164 never read, the national and international number formats (PhoneMetadata fields 19 and
20) and the example numbers (PhoneNumberDesc field 6), zlib-compressed: 229 KB become 129 KB,
then 36 KB in each binary that parses numbers.

    python3 scripts/trim_phone_metadata.py <metadata.bin> <output>

The protobuf wire format is walked field by field; everything else is copied byte for byte.
"""

import sys
import zlib

FORMATS = {19, 20}  # PhoneMetadata.number_format, intl_number_format
EXAMPLE = {6}  # PhoneNumberDesc.example_number
# PhoneMetadata fields that hold a PhoneNumberDesc (phonemetadata.proto).
DESCS = {1, 2, 3, 4, 5, 6, 7, 8, 21, 24, 25, 27, 28, 29, 30, 31, 33}
LENGTH_DELIMITED = 2


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def encode_varint(value):
    out = bytearray()
    while True:
        low, value = value & 0x7F, value >> 7
        out.append(low | (0x80 if value else 0))
        if not value:
            return bytes(out)


def fields(data):
    """Yields (field number, wire type, raw tag bytes, payload) for each field of a message."""
    i = 0
    while i < len(data):
        start = i
        tag, i = varint(data, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            _, i = varint(data, i)
            yield number, wire, data[start:i], b""
        elif wire == LENGTH_DELIMITED:
            size, j = varint(data, i)
            i = j + size
            yield number, wire, data[start:j], data[j:i]
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            yield number, wire, data[start:i], b""
        else:
            raise ValueError(f"wire type {wire} at byte {start}")


def message(number, payload):
    return encode_varint((number << 3) | LENGTH_DELIMITED) + encode_varint(len(payload)) + payload


def without(data, drop, nested=None):
    """`data` without the fields in `drop`; fields in `nested` are rewritten by its function."""
    out = bytearray()
    for number, wire, head, payload in fields(data):
        if number in drop:
            continue
        if nested and number in nested and wire == LENGTH_DELIMITED:
            out += message(number, nested[number](payload))
        else:
            out += head + payload
    return bytes(out)


def trim(collection):
    desc = lambda d: without(d, EXAMPLE)  # noqa: E731
    metadata = lambda m: without(m, FORMATS, {n: desc for n in DESCS})  # noqa: E731
    return without(collection, set(), {1: metadata})


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source = open(sys.argv[1], "rb").read()
    trimmed = trim(source)
    packed = zlib.compress(trimmed, 9)
    open(sys.argv[2], "wb").write(packed)
    print(f"{sys.argv[2]}: {len(source)} → {len(trimmed)} bytes, {len(packed)} compressed")
