"""tf.flags' registry: FlagValues, the global FLAGS (which parses sys.argv on its first flag
read, as TF's wrapper around absl's FLAGS does) and the FlagHolder DEFINE_* returns."""

import os as _os
import sys as _sys

from metarun import _flag_types as _t
from metarun._flag_types import (
    CantOpenFlagFileError, DuplicateFlagError, Error, Flag, FlagNameConflictsWithMethodError,
    IllegalFlagValueError, UnparsedFlagAccessError, UnrecognizedFlagError, ValidationError)

_disclaimed_modules = {__name__, "metarun.flags", "metarun.app", "metarun._flag_types"}


def _calling_module():
    """The name of the module defining a flag: the first caller outside the flags modules
    (sys.argv[0] for __main__, as absl names it)."""
    f = _sys._getframe(1)
    while f is not None:
        name = f.f_globals.get("__name__")
        if name not in _disclaimed_modules:
            return _sys.argv[0] if name == "__main__" and _sys.argv else name
        f = f.f_back
    raise AssertionError("No module was found")


class FlagValues(object):
    """A registry of flags: read a flag's value as an attribute, parse argv by calling it."""

    def __init__(self):
        d = self.__dict__
        d["_FlagValues__flags"] = {}
        d["_FlagValues__hiddenflags"] = set()
        d["_FlagValues__flags_by_module"] = {}
        d["_FlagValues__key_flags_by_module"] = {}
        d["_FlagValues__flags_parsed"] = False
        d["_FlagValues__unparse_flags_called"] = False
        d["_FlagValues__gnu_getopt"] = True

    def _flags(self):
        return self.__flags

    # -- registration ------------------------------------------------------------------------
    def __setitem__(self, name, flag):
        fl = self._flags()
        if not isinstance(flag, Flag):
            raise IllegalFlagValueError(flag)
        if not isinstance(name, str):
            raise Error("Flag name must be a string")
        if not name:
            raise Error("Flag name cannot be empty")
        if " " in name:
            raise Error("Flag name cannot contain a space")
        self._check_method_name_conflicts(name, flag)
        if name in fl and not flag.allow_override and not fl[name].allow_override:
            raise DuplicateFlagError.from_flag(name, self)
        short_name = flag.short_name
        if short_name is not None:
            if short_name in fl and not flag.allow_override and not fl[short_name].allow_override:
                raise DuplicateFlagError.from_flag(short_name, self)
            fl[short_name] = flag
        fl[name] = flag

    def _check_method_name_conflicts(self, name, flag):
        if flag.allow_using_method_names:
            return
        for flag_name in (name, flag.short_name):
            if flag_name is not None and flag_name in dir(FlagValues):
                raise FlagNameConflictsWithMethodError(
                    'Cannot define a flag named "{name}". It conflicts with a method on class "{class_name}". '
                    "To allow defining it, use allow_using_method_names and access the flag value with "
                    "FLAGS['{name}'].value. FLAGS.{name} returns the method, not the flag value.".format(
                        name=flag_name, class_name=type(self).__name__))

    def register_flag_by_module(self, module_name, flag):
        self.__flags_by_module.setdefault(module_name, []).append(flag)

    def register_key_flag_for_module(self, module_name, flag):
        key_flags = self.__key_flags_by_module.setdefault(module_name, [])
        if flag not in key_flags:
            key_flags.append(flag)

    def get_flags_for_module(self, module):
        name = module if isinstance(module, str) else module.__name__
        return list(self.__flags_by_module.get(name, []))

    def get_key_flags_for_module(self, module):
        name = module if isinstance(module, str) else module.__name__
        key_flags = self.get_flags_for_module(name)
        for flag in self.__key_flags_by_module.get(name, []):
            if flag not in key_flags:
                key_flags.append(flag)
        return key_flags

    def find_module_defining_flag(self, flagname, default=None):
        flag = self._flags().get(flagname)
        if flag is None:
            return default
        for module, flags in self.__flags_by_module.items():
            for f in flags:
                if f.name == flag.name and f.short_name == flag.short_name:
                    return module
        return default

    def find_module_id_defining_flag(self, flagname, default=None):
        return default

    def append_flag_values(self, flag_values):
        for flag_name, flag in flag_values._flags().items():
            if flag_name == flag.name:
                try:
                    self[flag_name] = flag
                except DuplicateFlagError:
                    raise DuplicateFlagError.from_flag(flag_name, self, other_flag_values=flag_values)

    def remove_flag_values(self, flag_values):
        for flag_name in list(flag_values):
            self.__delattr__(flag_name)

    # -- reading and setting values ----------------------------------------------------------
    def __getitem__(self, name):
        return self._flags()[name]

    def __getattr__(self, name):
        fl = self._flags()
        if name not in fl or name in self.__hiddenflags:
            raise AttributeError(name)
        if self.__flags_parsed or fl[name].present:
            return fl[name].value
        raise UnparsedFlagAccessError("Trying to access flag --%s before flags were parsed." % name)

    def __setattr__(self, name, value):
        fl = self._flags()
        if name in self.__hiddenflags or name not in fl:
            raise UnrecognizedFlagError(name, value)
        fl[name].value = value
        self._assert_validators(fl[name].validators)
        fl[name].using_default_value = False
        return value

    def __delattr__(self, flag_name):
        fl = self._flags()
        if flag_name not in fl:
            raise AttributeError(flag_name)
        flag_obj = fl.pop(flag_name)
        if not any(f is flag_obj for f in fl.values()):
            for flags in self.__flags_by_module.values():
                if flag_obj in flags:
                    flags.remove(flag_obj)

    def __contains__(self, name):
        return name in self._flags()

    def __len__(self):
        return len(self.__flags)

    def __iter__(self):
        return iter(self._flags())

    def __dir__(self):
        return sorted(self.__flags)

    def __getstate__(self):
        raise TypeError("can't pickle FlagValues")

    def __copy__(self):
        raise TypeError("FlagValues does not support shallow copies. Use absl.testing.flagsaver or "
                        "copy.deepcopy instead.")

    def get_flag_value(self, name, default):
        value = self.__getattr__(name)
        return value if value is not None else default

    def set_default(self, name, value):
        fl = self._flags()
        if name not in fl:
            raise UnrecognizedFlagError(name, value)
        fl[name]._set_default(value)
        self._assert_validators(fl[name].validators)

    def flag_values_dict(self):
        return {name: flag.value for name, flag in self._flags().items()}

    def is_parsed(self):
        return self.__flags_parsed

    def mark_as_parsed(self):
        self.__dict__["_FlagValues__flags_parsed"] = True

    def unparse_flags(self):
        for f in self._flags().values():
            f.unparse()
        self.__dict__["_FlagValues__flags_parsed"] = False
        self.__dict__["_FlagValues__unparse_flags_called"] = True

    def set_gnu_getopt(self, gnu_getopt=True):
        self.__dict__["_FlagValues__gnu_getopt"] = gnu_getopt

    def is_gnu_getopt(self):
        return self.__gnu_getopt

    # -- validation -------------------------------------------------------------------------
    def validate_all_flags(self):
        validators = set()
        for flag in self._flags().values():
            validators.update(flag.validators)
        self._assert_validators(validators)

    def _assert_validators(self, validators):
        for validator in sorted(validators, key=lambda v: v.insertion_index):
            try:
                validator.verify(self)
            except ValidationError as e:
                raise IllegalFlagValueError("%s: %s" % (validator.print_flags_with_values(self), e))

    # -- parsing ----------------------------------------------------------------------------
    def __call__(self, argv, known_only=False):
        """Parses `argv` (argv[0] is the program); returns argv[0] and the arguments that are not
        flags (and, with known_only, the unknown flags) in their order."""
        if isinstance(argv, (str, bytes)):
            raise TypeError("argv should be a tuple/list of strings, not bytes or string.")
        if not argv:
            raise ValueError("argv cannot be an empty list, and must contain the program name as the first "
                             "element.")
        program_name = argv[0]
        args = self.read_flags_from_files(argv[1:], force_gnu=False)
        unknown_flags, unparsed_args = self._parse_args(args, known_only)
        for name, value in unknown_flags:
            raise UnrecognizedFlagError(name, value, suggestions=_t._suggestions(name, list(self)))
        self.mark_as_parsed()
        self.validate_all_flags()
        return [program_name] + unparsed_args

    def _parse_args(self, args, known_only):
        unknown_flags, unparsed_args, undefok = [], [], set()
        fl = self._flags()
        args = iter(args)
        for arg in args:
            value = None

            def get_value():
                try:
                    return next(args) if value is None else value
                except StopIteration:
                    raise Error("Missing value for flag " + arg) from None

            if not arg.startswith("-"):
                unparsed_args.append(arg)
                if self.is_gnu_getopt():
                    continue
                break
            if arg == "--":
                if known_only:
                    unparsed_args.append(arg)
                break
            if "=" in arg:
                name, value = arg.lstrip("-").split("=", 1)
            else:
                name, value = arg.lstrip("-"), None
            if not name:  # all dashes
                unparsed_args.append(arg)
                if self.is_gnu_getopt():
                    continue
                break
            if name == "undefok":
                value = get_value()
                names = [v.strip() for v in value.split(",")]
                undefok.update(names)
                undefok.update("no" + v for v in names)
                continue
            flag = fl.get(name)
            if flag is not None:
                value = "true" if flag.boolean and value is None else get_value()
            elif name.startswith("no") and len(name) > 2:
                noflag = fl.get(name[2:])
                if noflag is not None and noflag.boolean:
                    if value is not None:
                        raise ValueError(arg + " does not take an argument")
                    flag, value = noflag, "false"
            if flag is not None:
                flag.parse(value)
                flag.using_default_value = False
            elif known_only:
                unparsed_args.append(arg)
            elif name not in undefok:
                unknown_flags.append((name, arg))
        unparsed_args.extend(args)
        return unknown_flags, unparsed_args

    def read_flags_from_files(self, argv, force_gnu=True):
        """argv with each --flagfile=FILE replaced by the flags in FILE (one per line; `#` and
        `//` lines are comments)."""
        parsed_file_stack = []
        rest = list(argv)
        out = []
        while rest:
            current = rest.pop(0)
            if current == "--":
                out.append(current)
                out.extend(rest)
                break
            if current.startswith("-") and current.lstrip("-").split("=")[0] == "flagfile":
                if "=" in current:
                    path = current.split("=", 1)[1]
                elif rest:
                    path = rest.pop(0)
                else:
                    raise IllegalFlagValueError("--flagfile with no argument")
                out.extend(self._flag_file_lines(_os.path.expanduser(path.strip()), parsed_file_stack))
            else:
                out.append(current)
                if not current.startswith("-") and not force_gnu and not self.__gnu_getopt:
                    out.extend(rest)
                    break
        return out

    def _flag_file_lines(self, filename, parsed_file_stack):
        if filename in parsed_file_stack:
            _sys.stderr.write("Warning: Hit circular flagfile dependency. Ignoring flagfile: %s\n" % filename)
            return []
        parsed_file_stack.append(filename)
        try:
            with open(filename, "r") as f:
                lines = f.readlines()
        except IOError as e:
            raise CantOpenFlagFileError("ERROR:: Unable to open flagfile: %s" % e)
        out = []
        for line in lines:
            line = line.strip()
            if not line or line.startswith("#") or line.startswith("//"):
                continue
            if line.lstrip("-").split("=")[0] == "flagfile" and "=" in line:
                out.extend(self._flag_file_lines(_os.path.expanduser(line.split("=", 1)[1].strip()),
                                                 parsed_file_stack))
            else:
                out.append(line)
        parsed_file_stack.pop()
        return out

    # -- help and serialisation -------------------------------------------------------------
    def flags_into_string(self):
        lines = []
        for module in sorted(self.__flags_by_module):
            for flag in self.__flags_by_module[module]:
                if flag.value is not None:
                    lines.append(flag.serialize() + "\n")
        return "".join(lines)

    def append_flags_into_file(self, filename):
        with open(filename, "a") as out_file:
            out_file.write(self.flags_into_string())

    def _flag_help(self, flag):
        text = "--%s%s: %s" % ("[no]" if flag.boolean else "", flag.name, flag.help)
        if flag.short_name:
            text = "-%s," % flag.short_name + text
        lines = [text]
        if flag.default_as_str:
            lines.append("(default: %s)" % flag.default_as_str)
        if flag.parser.syntactic_help:
            lines.append("(%s)" % flag.parser.syntactic_help)
        from metarun.flags import text_wrap
        return text_wrap("\n".join(lines), indent="    ", firstline_indent="  ")

    def module_help(self, module):
        name = module if isinstance(module, str) else module.__name__
        flags = sorted(self.get_key_flags_for_module(name), key=lambda f: f.name)
        if not flags:
            return ""
        return "%s:\n%s" % (name, "\n".join(self._flag_help(f) for f in flags))

    def main_module_help(self):
        return self.module_help(_sys.argv[0])

    def get_help(self, prefix="", include_special_flags=True):
        parts = [self.module_help(m) for m in sorted(self.__flags_by_module)]
        return "\n\n".join(p for p in parts if p)

    def __str__(self):
        return self.get_help()


class _FlagValuesWrapper(FlagValues):
    """tf.flags.FLAGS: parses sys.argv on the first read of a flag if nothing has parsed it."""

    def __getattr__(self, name):
        if not self.is_parsed() and name in self._flags():
            self(_sys.argv)
        return super().__getattr__(name)


FLAGS = _FlagValuesWrapper()


class FlagHolder(object):
    """What DEFINE_* returns: the flag's name and (once parsed) its value."""

    def __init__(self, flag_values, flag, ensure_non_none_value=False):
        self._flagvalues = flag_values
        self._name = flag.name
        self._ensure_non_none_value = ensure_non_none_value

    def __eq__(self, other):
        raise TypeError("unsupported operand type(s) for ==: '{0}' and '{1}' (did you mean to use '{0}.value' "
                        "instead?)".format(type(self).__name__, type(other).__name__))

    def __bool__(self):
        raise TypeError("bool() not supported for instances of type '{0}' (did you mean to use '{0}.value' "
                        "instead?)".format(type(self).__name__))

    __hash__ = object.__hash__
    __nonzero__ = __bool__

    @property
    def name(self):
        return self._name

    @property
    def value(self):
        val = getattr(self._flagvalues, self._name)
        if self._ensure_non_none_value and val is None:
            raise IllegalFlagValueError("Unexpected None value for flag %s" % self._name)
        return val

    @property
    def default(self):
        return self._flagvalues[self._name].default

    @property
    def present(self):
        return bool(self._flagvalues[self._name].present)

    def serialize(self):
        return self._flagvalues[self._name].serialize()


