"""tf.flags (== tf.app.flags): command-line flags with absl.flags' semantics, without absl.

`FLAGS` parses sys.argv on its first flag read if nothing parsed it yet (TF's wrapper does
this; absl alone raises UnparsedFlagAccessError). Parsing takes `--name=value`, `--name value`,
one dash as well as two, `--flag`/`--noflag` for booleans, `--flagfile=FILE` and `--undefok=`;
other arguments are kept in order (GNU style) and `--` ends the flags. DEFINE_string/_boolean/
_float/_integer also take TF1's old keyword names (flag_name, default_value, docstring).
"""

import os as _os
import sys as _sys
import textwrap as _textwrap
import warnings as _warnings

from metarun._flag_types import (  # noqa: F401 -- the public flag classes
    ArgumentParser, ArgumentSerializer, BaseListParser, BooleanFlag, BooleanParser, CantOpenFlagFileError,
    CsvListSerializer, DuplicateFlagError, EnumClassFlag, EnumClassListSerializer, EnumClassParser,
    EnumClassSerializer, EnumFlag, EnumParser, Error, Flag, FlagNameConflictsWithMethodError, FloatParser,
    IllegalFlagValueError, IntegerParser, ListParser, ListSerializer, MultiEnumClassFlag, MultiFlag,
    UnparsedFlagAccessError, UnrecognizedFlagError, ValidationError, WhitespaceSeparatedListParser)
from metarun import _flag_types as _t

from metarun._flag_values import (  # noqa: F401
    FLAGS, FlagHolder, FlagValues, _calling_module, _disclaimed_modules)


# --------------------------------------------------------------------------------------------
# DEFINE_*
# --------------------------------------------------------------------------------------------

def DEFINE(parser, name, default, help, flag_values=FLAGS, serializer=None, module_name=None,  # noqa: A002
           required=False, **args):
    return DEFINE_flag(Flag(parser, serializer, name, default, help, **args), flag_values, module_name,
                       required)


def DEFINE_flag(flag, flag_values=FLAGS, module_name=None, required=False):
    if required and flag.default is not None:
        raise ValueError("Required flag --%s needs to have None as default" % flag.name)
    fv = flag_values
    fv[flag.name] = flag
    fv.register_flag_by_module(module_name or _calling_module(), flag)
    if required:
        mark_flag_as_required(flag.name, fv)
    return FlagHolder(fv, flag, required)


_RENAMED_ARGUMENTS = {"flag_name": "name", "default_value": "default", "docstring": "help"}


def _old_names(fn):
    """TF1 spelled DEFINE_*'s arguments flag_name, default_value and docstring."""
    def define(*args, **kwargs):
        renamed = [old for old in _RENAMED_ARGUMENTS if old in kwargs]
        for old in renamed:
            kwargs[_RENAMED_ARGUMENTS[old]] = kwargs.pop(old)
        if renamed:
            from metarun import tf_logging
            tf_logging.warning("Use of the keyword argument names (flag_name, default_value, docstring) is "
                               "deprecated, please use (name, default, help) instead.")
        return fn(*args, **kwargs)
    define.__name__, define.__doc__, define.__wrapped__ = fn.__name__, fn.__doc__, fn
    return define


def _bounds_validator(parser, name, flag_values):
    if parser.lower_bound is not None or parser.upper_bound is not None:
        def checker(value):
            if value is not None and parser.is_outside_bounds(value):
                raise ValidationError("%s is not %s" % (value, parser.syntactic_help))
            return True
        register_validator(name, checker, flag_values=flag_values)


@_old_names
def DEFINE_string(name, default, help, flag_values=FLAGS, required=False, **args):  # noqa: A002
    return DEFINE(ArgumentParser(), name, default, help, flag_values, ArgumentSerializer(), required=required,
                  **args)


@_old_names
def DEFINE_boolean(name, default, help, flag_values=FLAGS, module_name=None, required=False,  # noqa: A002
                   **args):
    return DEFINE_flag(BooleanFlag(name, default, help, **args), flag_values, module_name, required)


DEFINE_bool = DEFINE_boolean


@_old_names
def DEFINE_float(name, default, help, lower_bound=None, upper_bound=None, flag_values=FLAGS,  # noqa: A002
                 required=False, **args):
    parser = FloatParser(lower_bound, upper_bound)
    result = DEFINE(parser, name, default, help, flag_values, ArgumentSerializer(), required=required, **args)
    _bounds_validator(parser, name, flag_values)
    return result


@_old_names
def DEFINE_integer(name, default, help, lower_bound=None, upper_bound=None, flag_values=FLAGS,  # noqa: A002
                   required=False, **args):
    parser = IntegerParser(lower_bound, upper_bound)
    result = DEFINE(parser, name, default, help, flag_values, ArgumentSerializer(), required=required, **args)
    _bounds_validator(parser, name, flag_values)
    return result


def DEFINE_enum(name, default, enum_values, help, flag_values=FLAGS, module_name=None,  # noqa: A002
                required=False, **args):
    return DEFINE_flag(EnumFlag(name, default, help, enum_values, **args), flag_values, module_name, required)


def DEFINE_enum_class(name, default, enum_class, help, flag_values=FLAGS, module_name=None,  # noqa: A002
                      case_sensitive=False, required=False, **args):
    return DEFINE_flag(EnumClassFlag(name, default, help, enum_class, case_sensitive=case_sensitive, **args),
                       flag_values, module_name, required)


def DEFINE_list(name, default, help, flag_values=FLAGS, required=False, **args):  # noqa: A002
    return DEFINE(ListParser(), name, default, help, flag_values, CsvListSerializer(","), required=required,
                  **args)


def DEFINE_spaceseplist(name, default, help, comma_compat=False, flag_values=FLAGS,  # noqa: A002
                        required=False, **args):
    return DEFINE(WhitespaceSeparatedListParser(comma_compat), name, default, help, flag_values,
                  ListSerializer(" "), required=required, **args)


def DEFINE_multi(parser, serializer, name, default, help, flag_values=FLAGS, module_name=None,  # noqa: A002
                 required=False, **args):
    return DEFINE_flag(MultiFlag(parser, serializer, name, default, help, **args), flag_values, module_name,
                       required)


def DEFINE_multi_string(name, default, help, flag_values=FLAGS, required=False, **args):  # noqa: A002
    return DEFINE_multi(ArgumentParser(), ArgumentSerializer(), name, default, help, flag_values,
                        required=required, **args)


def DEFINE_multi_integer(name, default, help, lower_bound=None, upper_bound=None,  # noqa: A002
                         flag_values=FLAGS, required=False, **args):
    return DEFINE_multi(IntegerParser(lower_bound, upper_bound), ArgumentSerializer(), name, default, help,
                        flag_values, required=required, **args)


def DEFINE_multi_float(name, default, help, lower_bound=None, upper_bound=None,  # noqa: A002
                       flag_values=FLAGS, required=False, **args):
    return DEFINE_multi(FloatParser(lower_bound, upper_bound), ArgumentSerializer(), name, default, help,
                        flag_values, required=required, **args)


def DEFINE_multi_enum(name, default, enum_values, help, flag_values=FLAGS, case_sensitive=True,  # noqa: A002
                      required=False, **args):
    return DEFINE_multi(EnumParser(enum_values, case_sensitive), ArgumentSerializer(), name, default, help,
                        flag_values, required=required, **args)


def DEFINE_multi_enum_class(name, default, enum_class, help, flag_values=FLAGS,  # noqa: A002
                            module_name=None, case_sensitive=False, required=False, **args):
    return DEFINE_flag(MultiEnumClassFlag(name, default, help, enum_class, case_sensitive=case_sensitive,
                                          **args), flag_values, module_name, required)


def DEFINE_alias(name, original_name, flag_values=FLAGS, module_name=None):
    """`name` reads and sets the flag `original_name`."""
    if original_name not in flag_values:
        raise UnrecognizedFlagError(original_name)
    flag = flag_values[original_name]

    class _FlagAlias(Flag):
        def parse(self, argument):
            flag.parse(argument)
            self.present += 1

        @property
        def value(self):
            return flag.value

        @value.setter
        def value(self, value):
            flag.value = value

        def _set_default(self, value):
            self.default_unparsed, self.default, self.default_as_str = value, flag.default, flag.default_as_str

    help_msg = "Alias for --%s." % flag.name
    return DEFINE_flag(_FlagAlias(flag.parser, flag.serializer, name, flag.default, help_msg,
                                  boolean=flag.boolean), flag_values, module_name)


def set_default(flag_holder, value):
    flag_holder._flagvalues.set_default(flag_holder.name, value)


def override_value(flag_holder, value):
    fv = flag_holder._flagvalues
    fv[flag_holder.name].value = value
    fv._assert_validators(fv[flag_holder.name].validators)


def declare_key_flag(flag_name, flag_values=FLAGS):
    if hasattr(flag_name, "name"):
        flag_name = flag_name.name
    if flag_name not in flag_values:
        raise UnrecognizedFlagError(flag_name)
    flag_values.register_key_flag_for_module(_calling_module(), flag_values[flag_name])


def adopt_module_key_flags(module, flag_values=FLAGS):
    if not hasattr(module, "__name__"):
        raise Error("Expected a module object, not %r." % (module,))
    for flag in flag_values.get_key_flags_for_module(module.__name__):
        flag_values.register_key_flag_for_module(_calling_module(), flag)


def disclaim_key_flags():
    """The calling module's flags are not key flags of the modules importing it."""
    _disclaimed_modules.add(_sys._getframe(1).f_globals.get("__name__"))


# --------------------------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------------------------

def _add_validator(fv, validator):
    for flag_name in validator.get_flags_names():
        fv[flag_name].validators.append(validator)


def register_validator(flag_name, checker, message="Flag validation failed", flag_values=FLAGS):
    """`checker(value)` must return True (or raise ValidationError) at every parse and set."""
    _add_validator(flag_values, _t._SingleFlagValidator(flag_name, checker, message))


def validator(flag_name, message="Flag validation failed", flag_values=FLAGS):
    def decorate(function):
        register_validator(flag_name, function, message=message, flag_values=flag_values)
        return function
    return decorate


def register_multi_flags_validator(flag_names, multi_flags_checker, message="Flags validation failed",
                                   flag_values=FLAGS):
    _add_validator(flag_values, _t._MultiFlagsValidator(flag_names, multi_flags_checker, message))


def multi_flags_validator(flag_names, message="Flag validation failed", flag_values=FLAGS):
    def decorate(function):
        register_multi_flags_validator(flag_names, function, message=message, flag_values=flag_values)
        return function
    return decorate


def mark_flag_as_required(flag_name, flag_values=FLAGS):
    if hasattr(flag_name, "name"):
        flag_name = flag_name.name
    if flag_values[flag_name].default is not None:
        _warnings.warn("Flag --%s has a non-None default value; therefore, mark_flag_as_required will pass "
                       "even if flag is not specified in the command line!" % flag_name, stacklevel=2)
    register_validator(flag_name, lambda value: value is not None,
                       message="Flag --{} must have a value other than None.".format(flag_name),
                       flag_values=flag_values)


def mark_flags_as_required(flag_names, flag_values=FLAGS):
    for flag_name in flag_names:
        mark_flag_as_required(flag_name, flag_values)


def mark_flags_as_mutual_exclusive(flag_names, required=False, flag_values=FLAGS):
    for flag_name in flag_names:
        if flag_values[flag_name].default is not None:
            _warnings.warn("Flag --{} has a non-None default value. That does not make sense with "
                           "mark_flags_as_mutual_exclusive, which checks whether the listed flags have a value "
                           "other than None.".format(flag_name), stacklevel=2)

    def check(flags_dict):
        count = sum(1 for val in flags_dict.values() if val is not None)
        if count == 1 or (not required and count == 0):
            return True
        raise ValidationError("{} one of ({}) must have a value other than None.".format(
            "Exactly" if required else "At most", ", ".join(flag_names)))
    register_multi_flags_validator(flag_names, check, flag_values=flag_values)


def mark_bool_flags_as_mutual_exclusive(flag_names, required=False, flag_values=FLAGS):
    for flag_name in flag_names:
        if not flag_values[flag_name].boolean:
            raise ValidationError('Flag --{} is not Boolean, which is required for flags used in '
                                  'mark_bool_flags_as_mutual_exclusive.'.format(flag_name))

    def check(flags_dict):
        count = sum(bool(val) for val in flags_dict.values())
        if count == 1 or (not required and count == 0):
            return True
        raise ValidationError("{} one of ({}) must be True.".format("Exactly" if required else "At most",
                                                                     ", ".join(flag_names)))
    register_multi_flags_validator(flag_names, check, flag_values=flag_values)


# --------------------------------------------------------------------------------------------
# Text helpers
# --------------------------------------------------------------------------------------------

def get_help_width():
    """The terminal's width for help text (80 when not a terminal)."""
    try:
        columns = int(_os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    return columns if columns >= 40 else 80


def text_wrap(text, length=None, indent="", firstline_indent=None):
    """`text` wrapped to `length` columns (the help width by default); blank lines kept."""
    if length is None:
        length = get_help_width()
    if firstline_indent is None:
        firstline_indent = indent
    if len(indent) >= length:
        raise ValueError("Length of indent exceeds length")
    if len(firstline_indent) >= length:
        raise ValueError("Length of first line indent exceeds length")
    text = text.expandtabs(4)
    result = []
    wrapper = _textwrap.TextWrapper(width=length, initial_indent=firstline_indent, subsequent_indent=indent)
    subsequent = _textwrap.TextWrapper(width=length, initial_indent=indent, subsequent_indent=indent)
    for paragraph in (p.strip() for p in text.splitlines()):
        if paragraph:
            result.extend(wrapper.wrap(paragraph))
        else:
            result.append("")
        wrapper = subsequent
    return "\n".join(result)


def doc_to_help(doc):
    """A docstring as help text: indentation removed, paragraphs' lines joined."""
    doc = _textwrap.dedent(doc.strip("\n")).strip() if doc else ""
    paragraphs = [" ".join(line.strip() for line in p.splitlines()) for p in doc.split("\n\n")]
    return "\n\n".join(p for p in paragraphs)


def flag_dict_to_args(flag_map, multi_flags=None):
    """Command-line arguments for a {name: value} dict (True is --name, False --noname)."""
    for key, value in flag_map.items():
        if value is None:
            yield "--%s" % key
        elif isinstance(value, bool):
            yield ("--%s" if value else "--no%s") % key
        elif isinstance(value, (bytes, str)):
            yield "--%s=%s" % (key, value)
        else:
            try:
                if multi_flags and key in multi_flags:
                    for item in value:
                        yield "--%s=%s" % (key, str(item))
                else:
                    yield "--%s=%s" % (key, ",".join(str(item) for item in value))
            except TypeError:
                yield "--%s=%s" % (key, value)
