"""Compile protos/*.proto into protos/protos.desc, the FileDescriptorSet metarun loads at run time
(with the files they import, google/protobuf/any.proto and the like), and record a hash of the
sources in protos/protos.desc.sha256, so that a test notices a .proto edited without this step.

    pip install grpcio-tools && python tools/build_protos.py

Only people who change a .proto need grpcio-tools; the build installs the committed protos.desc.
"""
import glob
import hashlib
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROTOS = os.path.join(ROOT, "protos")
OUT = os.path.join(PROTOS, "protos.desc")


def sources_hash(proto_dir=PROTOS):
    """sha256 over the names and contents of protos/*.proto, in name order."""
    h = hashlib.sha256()
    for path in sorted(glob.glob(os.path.join(proto_dir, "*.proto"))):
        with open(path, "rb") as f:
            h.update(os.path.basename(path).encode() + b"\0" + f.read() + b"\0")
    return h.hexdigest()


def main():
    import grpc_tools
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    files = sorted(glob.glob(os.path.join(PROTOS, "*.proto")))
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "--include_imports", "--descriptor_set_out=" + OUT,
                    "-I", PROTOS, "-I", include] + files, check=True)
    with open(OUT + ".sha256", "w") as f:
        f.write(sources_hash() + "\n")
    print("wrote %s (%d bytes) from %d files" % (OUT, os.path.getsize(OUT), len(files)))


if __name__ == "__main__":
    main()
