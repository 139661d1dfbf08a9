"""Built-in backends; importing this package registers them."""

from . import spec  # noqa: F401

try:  # the other backends register themselves when their packages are present
    from . import golden  # noqa: F401
except ImportError:
    pass
try:
    from . import rtl  # noqa: F401
except ImportError:
    pass
