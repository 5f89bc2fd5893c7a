"""Names a package exports without importing the modules behind them (PEP 562).

`import metarun` imports only what importing a graph, restoring it and running it need; the
op functions, namespaces (tf.nn, tf.image, ...), gradient functions and the rest are imported
when a name is first looked up on the package, then bound there like an ordinary attribute.
`from metarun import X`, `metarun.X`, `dir(metarun)` and `import metarun.sub` behave as before.

Importing a module registers things: shape functions (framework.shape_inference), gradient
functions (ops.gradients_impl), host kernels, Tensor operators. Where a lookup misses a
registry, `load_all()` first imports every module `import metarun` imported before it was
lazy, so a miss answers exactly what it answered then; a lookup that hits finds what it
found then (ops/__init__.py keeps the modules whose registrations later ones build on or
replace, so those always come first).
"""

import importlib
import importlib.util
import sys
import threading

_exports = []             # (package, {name: (module, attr or None for the module itself)}), in order
_eager_imports = []       # modules load_all() imports (in order) besides the exported ones
_lock = threading.RLock()
_state = {"loaded": False, "loading": False}


def exports(package, table, submodules="", lazy_submodules=""):
    """`package`'s lazily imported names: `table` maps a module to a string of the names it
    gives, each `name` or `alias=name`; `submodules` names the package's submodules (`alias=sub`
    for another name). Returns the package's (__getattr__, __dir__). `lazy_submodules` are
    imported on first use only and not by load_all() (they were lazy before)."""
    names = {}
    for module, spec in table.items():
        for item in spec.split():
            alias, _, attr = item.partition("=")
            names[alias] = (module, attr or alias)
    for item in submodules.split():
        alias, _, sub = item.partition("=")
        names[alias] = (package + "." + (sub or alias), None)
    _exports.append((package, names))
    later = {}
    for item in lazy_submodules.split():
        alias, _, sub = item.partition("=")
        later[alias] = (package + "." + (sub or alias), None)

    def __getattr__(name):  # noqa: N807 -- PEP 562
        target = names.get(name) or later.get(name)
        if target is None:
            if name == "__all__":  # `from package import *` gets what it got when all was imported
                return sorted(n for n in set(vars(sys.modules[package])) | set(names) if not n.startswith("_"))
            if not name.startswith("__") and importlib.util.find_spec(package + "." + name) is not None:
                # a submodule reached as an attribute (`metarun.ops.math_ops`), as when it was imported
                target = (package + "." + name, None)
            else:
                raise AttributeError("module %r has no attribute %r" % (package, name))
        module = importlib.import_module(target[0])
        value = module if target[1] is None else getattr(module, target[1])
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():  # noqa: N807 -- PEP 562
        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__


def load_before_others(*modules):
    """Modules load_all() imports first (the gradient modules ops/__init__ no longer imports)."""
    _eager_imports.extend(modules)


def load_all():
    """Imports every module behind the exported names (what `import metarun` once imported),
    in their order. Cheap once done; a call while it runs (in the same thread) returns."""
    if _state["loaded"]:
        return
    with _lock:
        if _state["loaded"] or _state["loading"]:
            return
        _state["loading"] = True
        try:
            i = 0
            while i < len(_eager_imports):  # importing one may add more (the ops package does)
                importlib.import_module(_eager_imports[i])
                i += 1
            for package, names in list(_exports):
                pkg = sys.modules[package]
                for name in list(names):
                    getattr(pkg, name)
            for hook in _after_load:
                hook()
            _state["loaded"] = True
        finally:
            _state["loading"] = False


_after_load = []


def after_load_all(hook):
    """`hook()` runs at the end of load_all() (once)."""
    _after_load.append(hook)


def defer_methods(cls, names, load):
    """Gives `cls` the methods `names`, each of which first calls `load()` (which installs the
    real methods on `cls`) and then calls the real one: operators a module installs on a class
    it does not own work before that module is imported. Methods `cls` already has are kept."""
    for name in names:
        if name in vars(cls):
            continue
        def method(self, *args, _name=name):
            load()
            real = getattr(type(self), _name)
            if getattr(real, "_lazy_stub", False):
                raise TypeError("%s.%s was not installed" % (type(self).__name__, _name))
            return real(self, *args)
        method._lazy_stub = True
        method.__name__ = name
        method.__qualname__ = "%s.%s" % (cls.__name__, name)
        setattr(cls, name, method)
