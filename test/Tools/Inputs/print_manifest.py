"""Prints the manifest section of a .ssmc artifact (docs/artifact-format.md,
"Layout"), or one JSON value of it when given a path of keys."""
import json
import struct
import sys


def manifest(path):
    data = open(path, "rb").read()
    count = struct.unpack_from("<I", data, 12)[0]
    for i in range(count):
        entry = 24 + 64 * i
        name = data[entry:entry + 32].split(b"\0")[0]
        offset, size = struct.unpack_from("<QQ", data, entry + 32)
        if name == b"manifest":
            return json.loads(data[offset:offset + size])
    sys.exit(path + ": no manifest section")


value = manifest(sys.argv[1])
for key in sys.argv[2:]:
    value = value[int(key)] if isinstance(value, list) else value[key]
print(json.dumps(value, indent=1, sort_keys=True))
