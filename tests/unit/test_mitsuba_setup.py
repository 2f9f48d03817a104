"""Finding a usable libLLVM and choosing Mitsuba's variant (fake library folders; no import of Mitsuba)."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.render.mitsuba_setup import (
    CPU_VARIANT,
    CUDA_VARIANT,
    LLVM_ENV,
    MitsubaSetupError,
    choose_variant,
    configure_llvm,
    find_libllvm,
    llvm_version,
)


def touch(folder: Path, *names: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")


@pytest.mark.parametrize(
    ("name", "version"),
    [
        ("libLLVM-19.so", 19),
        ("libLLVM-15.so.1", 15),
        ("libLLVM.so.19.1", 19),
        ("libLLVM.so.18", 18),
        ("libLLVM-14.0.6.so.1", 14),
        ("libLLVM.17.dylib", 17),
        ("libLLVM.so", None),
        ("libfoo.so", None),
    ],
)
def test_llvm_version_from_file_name(name: str, version: int | None) -> None:
    assert llvm_version(Path("/usr/lib") / name) == version


def test_newest_supported_llvm_wins_and_14_is_never_picked(tmp_path: Path) -> None:
    multiarch, tree = tmp_path / "multiarch", tmp_path / "llvm-17" / "lib"
    touch(multiarch, "libLLVM-14.so", "libLLVM-14.so.1", "libLLVM-15.so")
    touch(tree, "libLLVM.so.17.0")
    assert find_libllvm([multiarch, tree], environ={}) == tree / "libLLVM.so.17.0"
    (tree / "libLLVM.so.17.0").unlink()
    assert find_libllvm([multiarch, tree], environ={}) == multiarch / "libLLVM-15.so"


def test_unversioned_library_counts_inside_an_llvm_tree(tmp_path: Path) -> None:
    tree = tmp_path / "llvm-18" / "lib"
    touch(tree, "libLLVM.so")
    touch(tmp_path / "other", "libLLVM.so")  # says no version: never guessed
    assert find_libllvm([tmp_path / "other", tree], environ={}) == tree / "libLLVM.so"
    assert llvm_version(tree / "libLLVM.so") is None


def test_only_llvm_14_fails_with_what_to_install(tmp_path: Path) -> None:
    touch(tmp_path, "libLLVM-14.so", "libLLVM-14.so.1", "libLLVM.so.14.0")
    with pytest.raises(MitsubaSetupError) as caught:
        find_libllvm([tmp_path, tmp_path / "missing"], environ={})
    message = str(caught.value)
    assert "apt-get install libllvm19" in message and LLVM_ENV in message and str(tmp_path) in message


def test_user_path_is_respected_but_checked(tmp_path: Path) -> None:
    touch(tmp_path, "libLLVM-19.so", "libLLVM-16.so", "libLLVM-14.so", "libLLVM-custom.so")
    search = [tmp_path]
    assert find_libllvm(search, environ={LLVM_ENV: str(tmp_path / "libLLVM-16.so")}) == tmp_path / "libLLVM-16.so"
    custom = tmp_path / "libLLVM-custom.so"  # names no version: the user's choice is trusted
    assert find_libllvm(search, environ={LLVM_ENV: str(custom)}) == custom
    with pytest.raises(MitsubaSetupError, match="LLVM 14, which crashes"):
        find_libllvm(search, environ={LLVM_ENV: str(tmp_path / "libLLVM-14.so")})
    with pytest.raises(MitsubaSetupError, match="does not exist"):
        find_libllvm(search, environ={LLVM_ENV: str(tmp_path / "libLLVM-18.so")})


def test_configure_llvm_sets_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    touch(tmp_path, "libLLVM-17.so")
    environ = {LLVM_ENV: str(tmp_path / "libLLVM-17.so")}
    assert configure_llvm(environ) == tmp_path / "libLLVM-17.so"
    assert environ[LLVM_ENV] == str(tmp_path / "libLLVM-17.so")
    missing = {LLVM_ENV: str(tmp_path / "nothing.so")}
    assert configure_llvm(missing, required=False) is None
    with pytest.raises(MitsubaSetupError):
        configure_llvm(missing)


def test_the_real_machine_has_a_usable_llvm() -> None:
    """scripts/setup.sh installs libllvm19; the renderer tests depend on it."""
    path = find_libllvm(environ={})
    assert (llvm_version(path) or 0) >= 15


@pytest.mark.parametrize(
    ("device", "gpu", "variant"),
    [
        ("cpu", True, CPU_VARIANT),
        ("auto", True, CUDA_VARIANT),
        ("auto", False, CPU_VARIANT),
        ("cuda", True, CUDA_VARIANT),
        ("optix", True, CUDA_VARIANT),
    ],
)
def test_variant_choice(device: str, gpu: bool, variant: str) -> None:
    assert choose_variant(device, gpu) == variant


@pytest.mark.parametrize("device", ["cuda", "optix"])
def test_gpu_device_without_gpu_is_an_error(device: str) -> None:
    with pytest.raises(MitsubaSetupError, match="no usable CUDA GPU"):
        choose_variant(device, False)
