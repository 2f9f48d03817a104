"""Importing Mitsuba 3 safely: pick the variant and the shared LLVM that Dr.Jit JIT-compiles with.

Mitsuba's CPU variant (`llvm_ad_rgb`) needs a shared libLLVM >= 15 at run time; Dr.Jit searches
the system on its own and may pick up LLVM 14 (Debian 12 ships it next to newer ones), which
crashes. So `import_mitsuba` finds one first (`find_libllvm`: the user's DRJIT_LIBLLVM_PATH, else
libLLVM-19..15 in the usual Debian/Ubuntu folders), sets DRJIT_LIBLLVM_PATH before Dr.Jit starts,
and fails with what to install when there is none. The CUDA variant (`cuda_ad_rgb`) is used when
the device asks for a GPU (cuda/optix) or for "auto" when Dr.Jit finds a CUDA GPU.

Typical use (the renderer and the texture optimizer both do this)::

    mi = import_mitsuba("auto")        # the module, variant already set
    scene = mi.load_dict(...)
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, MutableMapping, Sequence
from pathlib import Path
from types import ModuleType

LLVM_ENV = "DRJIT_LIBLLVM_PATH"
MIN_LLVM_VERSION = 15  # LLVM 14 crashes Dr.Jit's LLVM backend here
LLVM_VERSIONS = (19, 18, 17, 16, 15)  # newest first
CPU_VARIANT = "llvm_ad_rgb"
CUDA_VARIANT = "cuda_ad_rgb"
INSTALL_HINT = (
    "install a shared LLVM >= 15 (Debian/Ubuntu: `apt-get install libllvm19`), "
    f"or set {LLVM_ENV} to the path of a libLLVM.so of version >= 15"
)


class MitsubaSetupError(RuntimeError):
    """Mitsuba cannot be imported or run with the requested device."""


def default_search_dirs() -> tuple[Path, ...]:
    """Folders that hold libLLVM on Debian/Ubuntu (multiarch and llvm-N trees) and others."""
    dirs = [Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib/aarch64-linux-gnu"), Path("/usr/lib64"), Path("/usr/lib")]
    dirs += [Path(f"/usr/lib/llvm-{version}/lib") for version in LLVM_VERSIONS]
    dirs += [Path("/usr/local/lib"), Path("/opt/homebrew/opt/llvm/lib"), Path("/usr/local/opt/llvm/lib")]
    return tuple(dirs)


_VERSION_PATTERN = re.compile(r"^libLLVM(?:-(\d+)[^/]*|\.so\.(\d+)(?:\.\d+)*|\.(\d+)\.dylib)")


def llvm_version(path: Path) -> int | None:
    """The major LLVM version in a library's file name (libLLVM-19.so, libLLVM.so.19.1), if it says."""
    match = _VERSION_PATTERN.match(Path(path).name)
    if match is None:
        return None
    return int(next(group for group in match.groups() if group is not None))


def _candidates(folder: Path, version: int) -> list[Path]:
    names = [f"libLLVM-{version}.so", f"libLLVM-{version}.so.1", f"libLLVM.so.{version}", f"libLLVM.{version}.dylib"]
    found = [folder / name for name in names]
    found += sorted(folder.glob(f"libLLVM.so.{version}.*"))
    if folder.name == "lib" and folder.parent.name == f"llvm-{version}":
        found.append(folder / "libLLVM.so")  # /usr/lib/llvm-19/lib/libLLVM.so names no version
    return found


def find_libllvm(search_dirs: Sequence[Path] | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The shared libLLVM Dr.Jit should load.

    The user's DRJIT_LIBLLVM_PATH wins (it must exist and must not name a version below 15);
    otherwise the newest libLLVM 19..15 found in `search_dirs` (default: `default_search_dirs()`).
    Raises MitsubaSetupError saying what to install when there is none.
    """
    environ = os.environ if environ is None else environ
    user = environ.get(LLVM_ENV)
    if user:
        path = Path(user)
        if not path.is_file():
            raise MitsubaSetupError(f"{LLVM_ENV}={user} does not exist; {INSTALL_HINT}")
        version = llvm_version(path)
        if version is not None and version < MIN_LLVM_VERSION:
            raise MitsubaSetupError(f"{LLVM_ENV}={user} is LLVM {version}, which crashes Dr.Jit; {INSTALL_HINT}")
        return path
    folders = default_search_dirs() if search_dirs is None else tuple(search_dirs)
    for version in LLVM_VERSIONS:
        for folder in folders:
            for candidate in _candidates(Path(folder), version):
                if candidate.is_file():
                    return candidate
    searched = ", ".join(str(folder) for folder in folders)
    raise MitsubaSetupError(
        f"Mitsuba's CPU renderer needs a shared libLLVM >= 15, none found in {searched}; {INSTALL_HINT}"
    )


def choose_variant(device: str, cuda_available: bool) -> str:
    """`cuda_ad_rgb` for device cuda/optix (error without a GPU) or auto with a GPU, else `llvm_ad_rgb`."""
    if device == "cpu":
        return CPU_VARIANT
    if device in ("cuda", "optix"):
        if not cuda_available:
            raise MitsubaSetupError(
                f"device {device!r}: Dr.Jit finds no usable CUDA GPU on this machine (use cpu or auto)"
            )
        return CUDA_VARIANT
    if device == "auto":
        return CUDA_VARIANT if cuda_available else CPU_VARIANT
    raise MitsubaSetupError(f"unknown device {device!r} (one of: cpu, cuda, optix, auto)")


def cuda_available() -> bool:
    """Whether Dr.Jit can use a CUDA GPU (a driver and a device are present)."""
    import drjit as dr

    try:
        return bool(dr.has_backend(dr.JitBackend.CUDA))
    except RuntimeError:
        return False


def configure_llvm(environ: MutableMapping[str, str] | None = None, required: bool = True) -> Path | None:
    """Set DRJIT_LIBLLVM_PATH (before Dr.Jit starts) to `find_libllvm()`; None if absent and not required."""
    environ = os.environ if environ is None else environ
    try:
        path = find_libllvm(environ=environ)
    except MitsubaSetupError:
        if required:
            raise
        return None
    environ[LLVM_ENV] = str(path)
    return path


def import_mitsuba(device: str = "auto") -> ModuleType:
    """The `mitsuba` module with its variant set for `device` (see `choose_variant`).

    A CPU variant requires a shared libLLVM >= 15 (MitsubaSetupError otherwise, naming what to
    install). Calling it again with another device switches the variant.
    """
    configure_llvm(required=device == "cpu")
    try:
        import mitsuba as mi
    except ImportError as error:
        raise MitsubaSetupError(f"Mitsuba is not installed: pip install 'mitsuba>=3.6' ({error})") from error
    variant = choose_variant(device, device != "cpu" and cuda_available())
    if variant == CPU_VARIANT and os.environ.get(LLVM_ENV) is None:
        configure_llvm(required=True)
    if mi.variant() != variant:
        try:
            mi.set_variant(variant)
        except (ImportError, AttributeError) as error:
            raise MitsubaSetupError(f"Mitsuba variant {variant!r} is unavailable: {error}") from error
    return mi
