"""Look-up by name for models, backbones, assigners, datasets and trackers."""

from __future__ import annotations

from jaxtrack.errors import JaxtrackError


class UnknownName(JaxtrackError, KeyError):
    """A name a registry does not hold (a :class:`JaxtrackError`, so the CLI prints one line)."""

    def __str__(self):
        return str(self.args[0])


class Registry:
    """A name -> object table; ``register(name)`` is a decorator, ``get(name)`` a clear look-up."""

    def __init__(self, kind):
        self.kind = kind
        self._entries = {}

    def register(self, name):
        def add(obj):
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = obj
            return obj
        return add

    def get(self, name):
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownName(f"unknown {self.kind} {name!r}; known: {', '.join(sorted(self._entries))}") from None

    def names(self):
        return sorted(self._entries)

    def __contains__(self, name):
        return name in self._entries
