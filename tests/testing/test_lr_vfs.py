"""The per-endpoint disk, registry and process list behind Live Response."""

from __future__ import annotations

import pytest

from cbasync.testing.dataset.vfs import (
    E_ACCESS_DENIED,
    E_ALREADY_EXISTS,
    E_DIR_NOT_EMPTY,
    E_DIRECTORY_INVALID,
    E_FILE_NOT_FOUND,
    E_INVALIDARG,
    E_PATH_NOT_FOUND,
    EndpointImage,
    ImageStore,
    OsFamily,
    VfsError,
    os_family,
)

EPOCH = 1_714_521_600.0


def image(os: OsFamily = "WINDOWS", key: int = 1, seed: int = 3) -> EndpointImage:
    return EndpointImage(seed=seed, key=key, os=os, hostname=f"host{key}", base_time=EPOCH)


def hresult(fn: object, *args: object, **kwargs: object) -> int:
    with pytest.raises(VfsError) as info:
        fn(*args, **kwargs)  # type: ignore[operator]
    return info.value.hresult


def test_images_are_a_pure_function_of_seed_and_key() -> None:
    a, b, c = image(), image(), image(seed=4)
    listing = [e.as_dict() for e in a.list_directory("C:\\Users\\")]
    assert listing == [e.as_dict() for e in b.list_directory("C:\\Users\\")]
    docs = a.username
    assert a.read_file(f"C:\\Users\\{docs}\\Desktop\\notes.txt") == b.read_file(
        f"C:\\Users\\{docs}\\Desktop\\notes.txt"
    )
    assert [p.as_dict() for p in a.process_list()] == [p.as_dict() for p in b.process_list()]
    assert [p.pid for p in a.process_list()] != [p.pid for p in c.process_list()]


def test_windows_paths_are_case_insensitive_and_relative_to_cwd() -> None:
    img = image()
    hosts = img.read_file("C:\\Windows\\System32\\drivers\\etc\\hosts")
    assert img.read_file("c:/windows/SYSTEM32/Drivers/etc/HOSTS") == hosts
    assert img.read_file("%SystemRoot%\\System32\\drivers\\etc\\hosts") == hosts
    assert img.read_file("..\\System32\\drivers\\etc\\hosts") == hosts  # cwd C:\Windows\CarbonBlack
    assert img.read_file("sensor.log").startswith(b"20")


def test_synthetic_content_is_range_addressable() -> None:
    img = image()
    path = "C:\\Windows\\explorer.exe"
    size = img.file_size(path)
    whole = img.read_file(path)
    assert len(whole) == size
    assert whole[:2] == b"MZ"
    assert img.read_file(path, 5000, 10_000) == whole[5000:15_000]
    assert img.read_file(path, size - 3) == whole[-3:]
    assert hresult(img.read_file, path, size + 1) == E_INVALIDARG


def test_directory_list_forms() -> None:
    img = image()
    full = img.list_directory("C:\\Windows\\System32\\")
    assert [e.filename for e in full[:2]] == [".", ".."]
    assert all("DIRECTORY" in e.attributes for e in full[:2])
    exes = img.list_directory("C:\\Windows\\System32\\*.exe")
    assert exes
    assert all(e.filename.lower().endswith(".exe") for e in exes)
    star = img.list_directory("C:\\Windows\\System32\\*")
    assert [e.filename for e in star] == [e.filename for e in full]
    single = img.list_directory("C:\\Windows\\win.ini")
    assert [e.filename for e in single] == ["win.ini"]
    assert "ARCHIVE" in single[0].attributes
    assert hresult(img.list_directory, "C:\\Windows\\nothing\\") == E_FILE_NOT_FOUND
    assert hresult(img.list_directory, "C:\\Windows\\win.ini\\") == E_DIRECTORY_INVALID
    assert hresult(img.list_directory, "C:\\Windows\\*.nomatch") == E_FILE_NOT_FOUND
    program_files = next(e for e in img.list_directory("C:\\") if e.filename == "Program Files")
    assert program_files.alt_name == "PROGRA~1"


def test_file_mutations() -> None:
    img = image()
    img.create_directory("C:\\Work", EPOCH)
    assert hresult(img.create_directory, "C:\\Work", EPOCH) == E_ALREADY_EXISTS
    assert hresult(img.create_directory, "C:\\No\\Such", EPOCH) == E_PATH_NOT_FOUND
    img.write_file("C:\\Work\\a.txt", b"one", EPOCH + 5)
    entry = img.list_directory("C:\\Work\\a.txt")[0]
    assert (entry.size, entry.last_write_time) == (3, int(EPOCH + 5))
    img.write_file("C:\\Work\\a.txt", b"three", EPOCH + 9)
    assert img.read_file("C:\\Work\\a.txt") == b"three"
    assert hresult(img.delete_file, "C:\\Work") == E_DIR_NOT_EMPTY
    img.delete_file("C:\\Work\\a.txt")
    img.delete_file("C:\\Work")
    assert not img.exists("C:\\Work")
    assert hresult(img.write_file, "C:\\Gone\\a.txt", b"", EPOCH) == E_PATH_NOT_FOUND
    assert hresult(img.read_file, "C:\\pagefile.sys") == 0x80070020  # in use
    assert hresult(img.delete_file, "C:\\Windows\\System32\\config\\SAM") == E_ACCESS_DENIED


def test_registry() -> None:
    img = image()
    run = img.reg_enum_key("HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run")
    assert "SecurityHealth" in [v.name for v in run[1]]
    img.reg_create_key("HKCU\\Software\\Acme\\Tool")  # intermediate keys created
    img.reg_set_value("HKCU\\Software\\Acme\\Tool\\Paths", "REG_MULTI_SZ", ["a", "b"], True)
    value = img.reg_query_value("HKU\\S-1-5-18\\Software\\Acme\\Tool\\Paths")
    assert value.as_dict() == {
        "value_name": "Paths",
        "value_type": "REG_MULTI_SZ",
        "value_data": ["a", "b"],
    }
    img.reg_set_value("HKCU\\Software\\Acme\\Tool\\Level", "REG_DWORD", "0x10", True)
    assert img.reg_query_value("HKCU\\Software\\Acme\\Tool\\Level").data == 16
    assert (
        hresult(img.reg_set_value, "HKCU\\Software\\Acme\\Tool\\Bad", "REG_DWORD", "x", True)
        == E_INVALIDARG
    )
    assert (
        hresult(img.reg_set_value, "HKCU\\Software\\Acme\\Tool\\Bad", "REG_WHATEVER", "x", True)
        == E_INVALIDARG
    )
    assert (
        hresult(img.reg_set_value, "HKCU\\Software\\Nope\\V", "REG_SZ", "x", True)
        == E_FILE_NOT_FOUND
    )
    assert hresult(img.reg_delete_key, "HKCU\\Software\\Acme") == E_ACCESS_DENIED  # has subkeys
    assert hresult(img.reg_enum_key, "HKXX\\Software") == E_INVALIDARG
    assert hresult(image("LINUX").reg_enum_key, "HKLM") == E_INVALIDARG


def test_processes() -> None:
    img = image()
    before = {p.pid for p in img.process_list()}
    assert 4 in before
    assert hresult(img.kill, 4) == E_ACCESS_DENIED
    assert hresult(img.kill, "abc") == E_INVALIDARG
    run = img.create_process("notepad.exe C:\\x.txt", now=EPOCH, wait=False)
    assert run.running
    assert run.return_code is None
    assert run.pid not in before
    assert img.processes[run.pid].path.lower() == "c:\\windows\\system32\\notepad.exe"
    img.kill(run.pid)
    assert run.pid not in img.processes
    assert hresult(img.create_process, "nosuchtool.exe", now=EPOCH, wait=True) == E_FILE_NOT_FOUND
    assert (
        hresult(
            img.create_process, "cmd.exe /c dir", now=EPOCH, wait=True, working_directory="C:\\Nope"
        )
        == E_DIRECTORY_INVALID
    )
    bad = img.create_process("cmd.exe /c frobnicate", now=EPOCH, wait=True)
    assert bad.return_code == 1
    assert b"is not recognized" in bad.output
    listing = img.create_process('cmd.exe /c "type C:\\Windows\\win.ini"', now=EPOCH, wait=True)
    assert listing.output.startswith(b"; for 16-bit")


def test_unix_images() -> None:
    linux = image("LINUX", key=2)
    assert linux.drives == ["/"]
    assert linux.read_file("/etc/hosts").startswith(b"127.0.0.1")
    assert hresult(linux.read_file, "/ETC/HOSTS") == E_PATH_NOT_FOUND  # case-sensitive
    run = linux.create_process("/bin/sh -c 'echo hi; exit 3'", now=EPOCH, wait=True)
    assert (run.output, run.return_code) == (b"hi\n", 3)
    assert linux.process_list()[0].pid == 1
    mac = image("MAC", key=3)
    assert mac.read_file("/ETC/HOSTS") == mac.read_file("/etc/hosts")  # APFS default: no case
    assert any(p.path.endswith("launchd") for p in mac.process_list())


def test_os_family_names_and_store() -> None:
    assert os_family("Windows 10 x64") == "WINDOWS"
    assert os_family("MAC OS X 13.6.1") == "MAC"
    assert os_family("Ubuntu 22.04") == "LINUX"
    store = ImageStore(seed=1, base_time=EPOCH)
    first = store.get(5, os="WINDOWS", hostname="h")
    first.write_file("C:\\kept.txt", b"kept", EPOCH)
    assert store.get(5, os="WINDOWS", hostname="h").read_file("C:\\kept.txt") == b"kept"
    assert len(store) == 1


def test_seed_files_are_on_every_image_of_their_os_family() -> None:
    store = ImageStore(
        seed=1,
        base_time=EPOCH,
        seed_files={"C:\\Windows\\Temp\\bench.bin": 65_536, "/tmp/bench.bin": 100},
    )
    windows = store.get(1, os="WINDOWS", hostname="w")
    data = windows.read_file("C:\\Windows\\Temp\\bench.bin")
    assert len(data) == 65_536
    assert store.get(2, os="WINDOWS", hostname="v").read_file("C:\\Windows\\Temp\\bench.bin")
    linux = store.get(3, os="LINUX", hostname="l")
    assert len(linux.read_file("/tmp/bench.bin")) == 100
    with pytest.raises(VfsError):
        linux.read_file("C:\\Windows\\Temp\\bench.bin")
