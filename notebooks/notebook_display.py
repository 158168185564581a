"""Display helpers of the notebooks beside this file, which import it from their folder: each
figure is saved as a PNG (a copy that outlives the kernel; the tests run the notebooks as scripts
and read these) and shown inline when running under IPython, whatever matplotlib backend is
active."""

from __future__ import annotations

import pathlib


def inline():
    """True inside an IPython kernel or shell."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return get_ipython() is not None


def show_png(path):
    """Show the PNG file ``path`` inline (nothing outside IPython)."""
    if inline():
        from IPython.display import Image, display

        display(Image(filename=str(path)))


def show_figure(fig, path, *, dpi=110):
    """Save the matplotlib figure ``fig`` to ``path`` (PNG), close it and show the file -> path."""
    import matplotlib.pyplot as plt

    path = pathlib.Path(path)
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    show_png(path)
    return path


def show_markdown(text):
    """Render ``text`` as Markdown inline, or print it outside IPython."""
    if inline():
        from IPython.display import Markdown, display

        display(Markdown(text))
    else:
        print(text)


def show_widget(widget):
    """Display an ipywidgets ``widget`` inline (nothing outside IPython)."""
    if inline():
        from IPython.display import display

        display(widget)


def png_bytes(fig, *, dpi=80):
    """The matplotlib figure ``fig`` rendered as PNG bytes (for an ``ipywidgets.Image``)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
