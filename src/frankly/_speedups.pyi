# The optional C accelerator (src/frankly/_speedups.c). frankly.check._accel wraps each
# function with its Python twin and the types the callers rely on; here every name is Any.
from typing import Any

def __getattr__(name: str) -> Any: ...
