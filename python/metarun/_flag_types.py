"""The pieces of tf.app.flags that hold no registry: errors, parsers, serializers, the Flag
classes and validators, with absl.flags' semantics (absl is what tf.flags is in TF 2.x)."""

import csv
import io


class Error(Exception):
    """The base class of flag errors."""


class CantOpenFlagFileError(Error):
    """A --flagfile could not be read."""


class DuplicateFlagError(Error):
    """A flag name is defined twice."""

    @classmethod
    def from_flag(cls, flagname, flag_values, other_flag_values=None):
        first_module = flag_values.find_module_defining_flag(flagname, default="<unknown>")
        if other_flag_values is None:
            from metarun import _flag_values
            second_module = _flag_values._calling_module()
        else:
            second_module = other_flag_values.find_module_defining_flag(flagname, default="<unknown>")
        flag_summary = flag_values[flagname].help
        return cls("The flag '%s' is defined twice. First from %s, second from %s. Description from first "
                   "occurrence: %s" % (flagname, first_module, second_module, flag_summary))


class IllegalFlagValueError(Error):
    """A flag was given a value its parser or a validator rejects."""


class UnrecognizedFlagError(Error):
    """The command line names a flag that is not defined."""

    def __init__(self, flagname, flagvalue="", suggestions=None):
        self.flagname = flagname
        self.flagvalue = flagvalue
        tip = ". Did you mean: %s ?" % ", ".join(suggestions) if suggestions else ""
        super().__init__("Unknown command line flag '%s'%s" % (flagname, tip))


class UnparsedFlagAccessError(Error):
    """A flag's value was read before the command line was parsed."""


class ValidationError(Error):
    """A validator's check failed."""


class FlagNameConflictsWithMethodError(Error):
    """A flag name that is also a FlagValues method."""


# --------------------------------------------------------------------------------------------
# Parsers turn a command-line string (or a default) into a value; ValueError/TypeError on bad input.
# --------------------------------------------------------------------------------------------

class ArgumentParser(object):
    syntactic_help = ""

    def parse(self, argument):
        if not isinstance(argument, str):
            raise TypeError('flag value must be a string, found "{}"'.format(type(argument)))
        return argument

    def flag_type(self):
        return "string"


class _NumericParser(ArgumentParser):
    _name = "number"
    _type = float

    def __init__(self, lower_bound=None, upper_bound=None):
        self.lower_bound, self.upper_bound = lower_bound, upper_bound
        if lower_bound is not None and upper_bound is not None:
            self.syntactic_help = "%s in the range [%s, %s]" % (self._article(), lower_bound, upper_bound)
        elif lower_bound is not None:
            self.syntactic_help = self._one_bound(lower_bound, ">=", self._lower_names)
        elif upper_bound is not None:
            self.syntactic_help = self._one_bound(upper_bound, "<=", self._upper_names)
        else:
            self.syntactic_help = self._article()

    def _article(self):
        return "an " + self._name if self._name[0] in "aeiou" else "a " + self._name

    def _one_bound(self, bound, op, names):
        return names[bound] if bound in names else "%s %s %s" % (self._name, op, bound)

    def is_outside_bounds(self, value):
        return ((self.lower_bound is not None and value < self.lower_bound)
                or (self.upper_bound is not None and value > self.upper_bound))

    def parse(self, argument):
        value = self.convert(argument)
        if self.is_outside_bounds(value):
            raise ValueError("%s is not %s" % (value, self.syntactic_help))
        return value


class FloatParser(_NumericParser):
    _name = "number"
    _lower_names = {0: "a non-negative number"}
    _upper_names = {0: "a non-positive number"}

    def convert(self, argument):
        if isinstance(argument, (int, float)) and not isinstance(argument, bool) or isinstance(argument, str):
            return float(argument)
        raise TypeError("Expect argument to be a string, int, or float, found {}".format(type(argument)))

    def flag_type(self):
        return "float"


class IntegerParser(_NumericParser):
    _name = "integer"
    _lower_names = {0: "a non-negative integer", 1: "a positive integer"}
    _upper_names = {0: "a non-positive integer", -1: "a negative integer"}

    def convert(self, argument):
        if isinstance(argument, int) and not isinstance(argument, bool):
            return argument
        if isinstance(argument, str):
            base = 10
            if len(argument) > 2 and argument[0] == "0":
                base = {"o": 8, "x": 16}.get(argument[1], 10)
            return int(argument, base)
        raise TypeError("Expect argument to be a string or int, found {}".format(type(argument)))

    def flag_type(self):
        return "int"


class BooleanParser(ArgumentParser):
    def parse(self, argument):
        if isinstance(argument, str):
            if argument.lower() in ("true", "t", "1"):
                return True
            if argument.lower() in ("false", "f", "0"):
                return False
            raise ValueError("Non-boolean argument to boolean flag", argument)
        if isinstance(argument, int):
            if argument == bool(argument):
                return bool(argument)
            raise ValueError("Non-boolean argument to boolean flag", argument)
        raise TypeError("Non-boolean argument to boolean flag", argument)

    def flag_type(self):
        return "bool"


class EnumParser(ArgumentParser):
    def __init__(self, enum_values, case_sensitive=True):
        if not enum_values:
            raise ValueError("enum_values cannot be empty, found \"{}\"".format(enum_values))
        if isinstance(enum_values, str):
            raise ValueError("enum_values cannot be a str, found \"{}\"".format(enum_values))
        self.enum_values = list(enum_values)
        self.case_sensitive = case_sensitive

    def parse(self, argument):
        if self.case_sensitive:
            if argument not in self.enum_values:
                raise ValueError("value should be one of <%s>" % "|".join(self.enum_values))
            return argument
        matches = [v for v in self.enum_values if v.upper() == argument.upper()]
        if not matches:
            raise ValueError("value should be one of <%s>" % "|".join(self.enum_values))
        return matches[0]

    def flag_type(self):
        return "string enum"


class EnumClassParser(ArgumentParser):
    def __init__(self, enum_class, case_sensitive=True):
        self.enum_class = enum_class
        self.case_sensitive = case_sensitive
        members = list(enum_class.__members__)
        self._names = members if case_sensitive else [m.lower() for m in members]

    @property
    def member_names(self):
        return list(self.enum_class.__members__)

    def parse(self, argument):
        if isinstance(argument, self.enum_class):
            return argument
        if not isinstance(argument, str):
            raise ValueError("{} is not an enum member or a name of a member in {}".format(argument,
                                                                                       self.enum_class))
        key = argument if self.case_sensitive else argument.lower()
        if key not in self._names:
            raise ValueError("value should be one of <%s>" % "|".join(self.member_names))
        return self.enum_class[self.member_names[self._names.index(key)]]

    def flag_type(self):
        return "enum class"


class BaseListParser(ArgumentParser):
    def __init__(self, token=None, name=None):
        self._token, self._name = token, name
        self.syntactic_help = "a %s separated list" % name

    def parse(self, argument):
        if isinstance(argument, list):
            return argument
        if not argument:
            return []
        return [s.strip() for s in argument.split(self._token)]

    def flag_type(self):
        return "%s separated list of strings" % self._name


class ListParser(BaseListParser):
    """Comma-separated values, quoted as in CSV."""

    def __init__(self):
        super().__init__(",", "comma")

    def parse(self, argument):
        if isinstance(argument, list):
            return argument
        if not argument:
            return []
        try:
            return [s.strip() for s in list(csv.reader([argument], strict=True))[0]]
        except csv.Error as e:
            raise ValueError("Unable to parse the value %r as a %s: %s" % (argument, self.flag_type(), e))


class WhitespaceSeparatedListParser(BaseListParser):
    def __init__(self, comma_compat=False):
        self._comma_compat = comma_compat
        super().__init__(None, "whitespace or comma" if comma_compat else "whitespace")

    def parse(self, argument):
        if isinstance(argument, list):
            return argument
        if self._comma_compat:
            argument = argument.replace(",", " ")
        return argument.split()


# --------------------------------------------------------------------------------------------
# Serializers turn a value back into command-line text.
# --------------------------------------------------------------------------------------------

class ArgumentSerializer(object):
    def serialize(self, value):
        return str(value)


class ListSerializer(ArgumentSerializer):
    def __init__(self, list_sep):
        self.list_sep = list_sep

    def serialize(self, value):
        return self.list_sep.join(str(x) for x in value)


class CsvListSerializer(ListSerializer):
    def serialize(self, value):
        out = io.StringIO()
        csv.writer(out, delimiter=self.list_sep, lineterminator="").writerow([str(x) for x in value])
        return out.getvalue()


class EnumClassSerializer(ArgumentSerializer):
    def __init__(self, lowercase):
        self._lowercase = lowercase

    def serialize(self, value):
        name = str(value.name)
        return name.lower() if self._lowercase else name


class EnumClassListSerializer(ListSerializer):
    def __init__(self, list_sep, **kwargs):
        super().__init__(list_sep)
        self._element = EnumClassSerializer(**kwargs)

    def serialize(self, value):
        if isinstance(value, list):
            return self.list_sep.join(self._element.serialize(x) for x in value)
        return self._element.serialize(value)


# --------------------------------------------------------------------------------------------
# Flags
# --------------------------------------------------------------------------------------------

class Flag(object):
    """One flag: its parser, default, current value and how often the command line set it."""

    def __init__(self, parser, serializer, name, default, help_string, short_name=None, boolean=False,
                 allow_override=False, allow_override_cpp=False, allow_hide_cpp=False, allow_overwrite=True,
                 allow_using_method_names=False):
        self.name = name
        self.help = help_string or "(no help available)"
        self.short_name = short_name
        self.boolean = boolean
        self.present = 0
        self.parser = parser
        self.serializer = serializer
        self.allow_override = allow_override
        self.allow_override_cpp = allow_override_cpp
        self.allow_hide_cpp = allow_hide_cpp
        self.allow_overwrite = allow_overwrite
        self.allow_using_method_names = allow_using_method_names
        self.using_default_value = True
        self._value = None
        self.validators = []
        if allow_hide_cpp and allow_override_cpp:
            raise Error("Can't have both allow_hide_cpp (means use Python flag) and allow_override_cpp "
                        "(means use C++ flag after InitGoogle)")
        self._set_default(default)

    @property
    def value(self):
        return self._value

    @value.setter
    def value(self, value):
        self._value = value

    def __hash__(self):
        return hash(id(self))

    def __eq__(self, other):
        return self is other

    def __lt__(self, other):
        if isinstance(other, Flag):
            return id(self) < id(other)
        return NotImplemented

    def _parse(self, argument):
        try:
            return self.parser.parse(argument)
        except (TypeError, ValueError) as e:
            raise IllegalFlagValueError("flag --%s=%s: %s" % (self.name, argument, e))

    def parse(self, argument):
        if self.present and not self.allow_overwrite:
            raise IllegalFlagValueError("flag --%s=%s: already defined as %s" % (self.name, argument, self.value))
        self.value = self._parse(argument)
        self.present += 1

    def unparse(self):
        self.value = self.default
        self.using_default_value = True
        self.present = 0

    def _serialize_value(self, value):
        return self.serializer.serialize(value) if self.serializer else str(value)

    def serialize(self):
        if self.value is None:
            return ""
        if self.boolean:
            return "--%s" % self.name if self.value else "--no%s" % self.name
        return "--%s=%s" % (self.name, self._serialize_value(self.value))

    def _set_default(self, value):
        self.default_unparsed = value
        self.default = None if value is None else self._parse(value)
        self.default_as_str = self._get_parsed_value_as_string(self.default)
        if self.using_default_value:
            self.value = self.default

    def _get_parsed_value_as_string(self, value):
        if value is None:
            return None
        if self.boolean:
            return repr("true" if value else "false")
        return repr(self._serialize_value(value))

    def flag_type(self):
        return self.parser.flag_type()


class BooleanFlag(Flag):
    def __init__(self, name, default, help, short_name=None, **args):  # noqa: A002 -- absl's name
        super().__init__(BooleanParser(), None, name, default, help, short_name, True, **args)


class EnumFlag(Flag):
    def __init__(self, name, default, help, enum_values, short_name=None, case_sensitive=True,  # noqa: A002
                 **args):
        super().__init__(EnumParser(enum_values, case_sensitive), ArgumentSerializer(), name, default, help,
                         short_name, **args)


class EnumClassFlag(Flag):
    def __init__(self, name, default, help, enum_class, short_name=None, case_sensitive=False,  # noqa: A002
                 **args):
        parser = EnumClassParser(enum_class, case_sensitive=case_sensitive)
        super().__init__(parser, EnumClassSerializer(lowercase=not case_sensitive), name, default, help,
                         short_name, **args)


class MultiFlag(Flag):
    """A flag that may be given many times; its value is the list of the values given."""

    def parse(self, arguments):
        new_values = self._parse(arguments)
        if self.present:
            self.value.extend(new_values)
        else:
            self.value = new_values
        self.present += len(new_values)

    def _parse(self, arguments):
        if not isinstance(arguments, (list, tuple)) or isinstance(arguments, str):
            arguments = [arguments]
        return [super(MultiFlag, self)._parse(item) for item in arguments]

    def _serialize_value(self, value):
        return ",".join(str(v) for v in value)

    def serialize(self):
        if not self.value:
            return ""
        return "\n".join("--%s=%s" % (self.name, self.serializer.serialize(v) if self.serializer else v)
                         for v in self.value)

    def flag_type(self):
        return "multi " + self.parser.flag_type()


class MultiEnumClassFlag(MultiFlag):
    def __init__(self, name, default, help_string, enum_class, case_sensitive=False, **args):
        parser = EnumClassParser(enum_class, case_sensitive=case_sensitive)
        serializer = EnumClassListSerializer(",", lowercase=not case_sensitive)
        super().__init__(parser, serializer, name, default, help_string, **args)


# --------------------------------------------------------------------------------------------
# Validators
# --------------------------------------------------------------------------------------------

class _Validator(object):
    _counter = 0

    def __init__(self, checker, message):
        self.checker = checker
        self.message = message
        _Validator._counter += 1
        self.insertion_index = _Validator._counter

    def verify(self, flag_values):
        if not self.checker(self._get_input_to_checker_function(flag_values)):
            raise ValidationError(self.message)


class _SingleFlagValidator(_Validator):
    def __init__(self, flag_name, checker, message):
        super().__init__(checker, message)
        self.flag_name = flag_name

    def get_flags_names(self):
        return [self.flag_name]

    def print_flags_with_values(self, flag_values):
        return "flag --%s=%s" % (self.flag_name, flag_values[self.flag_name].value)

    def _get_input_to_checker_function(self, flag_values):
        return flag_values[self.flag_name].value


class _MultiFlagsValidator(_Validator):
    def __init__(self, flag_names, checker, message):
        super().__init__(checker, message)
        self.flag_names = list(flag_names)

    def get_flags_names(self):
        return self.flag_names

    def print_flags_with_values(self, flag_values):
        return "flags " + ", ".join("%s=%s" % (n, flag_values[n].value) for n in self.flag_names)

    def _get_input_to_checker_function(self, flag_values):
        return dict((n, flag_values[n].value) for n in self.flag_names)


def _damerau_levenshtein(a, b):
    """Edit distance counting a swap of neighbours as one edit."""
    d = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i in range(len(a) + 1):
        d[i][0] = i
    for j in range(len(b) + 1):
        d[0][j] = j
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i][j] = min(d[i][j], d[i - 2][j - 2] + cost)
    return d[len(a)][len(b)]


def _suggestions(attempt, names):
    """The defined names closest to a misspelt one (compared on the attempt's length)."""
    if len(attempt) <= 2 or not names:
        return []
    scored = sorted((_damerau_levenshtein(attempt, n[:len(attempt)]), n) for n in names)
    best = scored[0][0]
    if best >= 0.5 * len(attempt):
        return []
    return [n for score, n in scored if score == best]
