"""protos/protos.desc, the committed descriptor set of protos/*.proto, is up to date with the
sources (tools/build_protos.py regenerates both it and its hash), and it is what metarun loads."""
import os
import sys

from google.protobuf import descriptor_pb2

import metarun

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tools"))
import build_protos  # noqa: E402


def test_descriptor_set_matches_the_proto_sources():
    with open(os.path.join(ROOT, "protos", "protos.desc.sha256")) as f:
        recorded = f.read().strip()
    assert recorded == build_protos.sources_hash(), (
        "protos/*.proto changed since protos/protos.desc was written: run "
        "`pip install grpcio-tools && python tools/build_protos.py`")


def test_descriptor_set_holds_every_proto_file():
    fds = descriptor_pb2.FileDescriptorSet()
    with open(os.path.join(ROOT, "protos", "protos.desc"), "rb") as f:
        fds.ParseFromString(f.read())
    names = {fd.name for fd in fds.file}
    assert {n for n in os.listdir(os.path.join(ROOT, "protos")) if n.endswith(".proto")} <= names
    assert all(fd.package.split(".")[0] in ("metarun", "google") for fd in fds.file)


def test_package_loads_the_committed_descriptor_set():
    with open(os.path.join(os.path.dirname(metarun.__file__), "_protos.desc"), "rb") as f:
        installed = f.read()
    with open(os.path.join(ROOT, "protos", "protos.desc"), "rb") as f:
        assert installed == f.read()
