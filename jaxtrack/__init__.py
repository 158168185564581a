"""jaxtrack: Siamese single-object tracking research in JAX, built around label assignment."""

__version__ = "0.1.0"
