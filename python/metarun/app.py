"""tf.app: `run` parses the command line into tf.app.flags.FLAGS and calls main, as TF does.

TF parses with known_only: flags no module defined stay in the argv given to main (as do
`--` and what follows it), and a bad value raises its flags error out of run. `--help`
(`--helpshort`) prints the main module's flags, `--helpfull` every module's, and both exit
with status 1, as absl's help flags do.
"""

import sys as _sys

from metarun import flags  # noqa: F401 -- tf.app.flags

_HELP_FLAGS = {"help": False, "helpshort": False, "?": False, "helpfull": True}


def _usage(program, full):
    doc = getattr(_sys.modules.get("__main__"), "__doc__", None)
    lines = [doc if doc else "\n       USAGE: %s [flags]" % program, "flags:", ""]
    lines.append(flags.FLAGS.get_help() if full else flags.FLAGS.module_help(program))
    if not full:
        lines += ["", "Try --helpfull to get a list of all flags."]
    return "\n".join(lines)


def run(main=None, argv=None):
    """Parses argv (sys.argv by default) into FLAGS, then exits with main(remaining argv)'s result."""
    main = main or _sys.modules["__main__"].main
    args = _sys.argv if argv is None else argv
    for arg in args[1:]:
        if arg == "--":
            break
        name = arg.lstrip("-") if arg.startswith("-") else None
        if name in _HELP_FLAGS and name not in flags.FLAGS:
            print(_usage(args[0], _HELP_FLAGS[name]))
            _sys.exit(1)
    remaining = flags.FLAGS(args, known_only=True)
    _sys.exit(main(remaining))
