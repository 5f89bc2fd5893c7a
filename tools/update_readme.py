"""Regenerate README.md's supported-ops table from the kernel registry, and the ONNX export's
table of mapped op types.

    python tools/update_readme.py        # needs metarun installed (pip install .)

The table sits between the markers `<!-- ops:begin -->` and `<!-- ops:end -->`
and is the output of `metarun ops --markdown`. The ONNX one sits between
`<!-- onnx-ops:begin -->` and `<!-- onnx-ops:end -->`: metarun.onnx.supported_op_types()
(no onnx package needed to list them).
"""
import io
import os
import re
from contextlib import redirect_stdout

from metarun import cli

README = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "README.md")


ONNX_COLUMNS = 6


def onnx_table():
    """The mapped TF op types, alphabetical down the columns, and their count."""
    from metarun.onnx import supported_op_types
    ops = supported_op_types()
    rows = -(-len(ops) // ONNX_COLUMNS)
    lines = ["%d TF op types map to ONNX (`metarun.onnx.supported_op_types()`):" % len(ops), "",
             "|" + " |" * ONNX_COLUMNS, "|" + " --- |" * ONNX_COLUMNS]
    for r in range(rows):
        cells = [ops[c * rows + r] if c * rows + r < len(ops) else ""
                 for c in range(ONNX_COLUMNS)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _replace(text, marker, body):
    block = "<!-- %s:begin -->\n%s\n<!-- %s:end -->" % (marker, body.rstrip(), marker)
    new, n = re.subn(r"<!-- %s:begin -->.*?<!-- %s:end -->" % (marker, marker),
                     lambda m: block, text, flags=re.S)
    if n != 1:
        raise SystemExit("README.md has no %s markers" % marker)
    return new


def main():
    buf = io.StringIO()
    with redirect_stdout(buf):
        cli.main(["ops", "--markdown"])
    with open(README) as f:
        text = f.read()
    text = _replace(text, "ops", buf.getvalue())
    text = _replace(text, "onnx-ops", onnx_table())
    with open(README, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
