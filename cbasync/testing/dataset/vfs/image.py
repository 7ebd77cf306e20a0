"""An endpoint's image (:class:`EndpointImage`, the façade over its parts) and the state's
store of them (one image per machine, built on first use)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from cbasync.testing.dataset.endpoints import Endpoint
from cbasync.testing.dataset.vfs.baseline_files import FileBaseline
from cbasync.testing.dataset.vfs.baseline_processes import ProcessBaseline
from cbasync.testing.dataset.vfs.baseline_registry import RegistryBaseline
from cbasync.testing.dataset.vfs.errors import OsFamily
from cbasync.testing.dataset.vfs.registry import RegKey
from cbasync.testing.state import EmulatorState

__all__ = ["IMAGES_BACKEND", "IMAGE_OS", "EndpointImage", "ImageStore", "image_store"]


class EndpointImage(FileBaseline, RegistryBaseline, ProcessBaseline):
    """The disk, registry and processes of one endpoint; every method may raise VfsError."""

    def _lay_out(self) -> None:
        self._roots = {}
        self._registry = RegKey("")
        self.processes = {}
        self._next_pid = 0
        # The order matters: the builders draw from the image's one random stream.
        if self.os == "WINDOWS":
            self._build_windows()
            self._build_registry()
            self._build_windows_processes()
        else:
            self._build_unix()
            self._build_unix_processes()
        self._next_pid = max(self.processes) + 4 if self.processes else 1000


IMAGES_BACKEND = "vfs_images"


# The population's OS family (lower case) as an image's.
IMAGE_OS: dict[str, OsFamily] = {"windows": "WINDOWS", "macos": "MAC", "linux": "LINUX"}


def image_store(state: EmulatorState) -> ImageStore:
    """The endpoint images of this state (one per machine, shared by every product: a machine's
    disk is one disk whether Live Response or LiveQuery looks at it)."""
    return state.backend(
        IMAGES_BACKEND,
        lambda s: ImageStore(s.config.seed, s.config.data_epoch, seed_files=s.config.lr_seed_files),
    )


_DRIVE = re.compile(r"^[A-Za-z]:\\")


class ImageStore:
    """Endpoint images by key, built on first use and kept (with their mutations) afterwards."""

    def __init__(
        self, seed: int, base_time: float, *, seed_files: Mapping[str, int] | None = None
    ) -> None:
        self.seed = seed
        self.base_time = base_time
        #: Files of a known size on every image (``EmulatorConfig.lr_seed_files``).
        self.seed_files = dict(seed_files or {})
        self._images: dict[int, EndpointImage] = {}

    def get(
        self,
        key: int,
        *,
        os: OsFamily,
        hostname: str,
        ip_address: str = "10.0.0.2",
        username: str | None = None,
    ) -> EndpointImage:
        image = self._images.get(key)
        if image is None:
            image = self._images[key] = EndpointImage(
                seed=self.seed,
                key=key,
                os=os,
                hostname=hostname,
                base_time=self.base_time,
                username=username,
                ip_address=ip_address,
            )
            for path, size in self.seed_files.items():
                if bool(_DRIVE.match(path)) == (os == "WINDOWS"):
                    image.write_synthetic(path, size, self.base_time)
        return image

    def of(self, ep: Endpoint) -> EndpointImage:
        """The image of an endpoint of the population (keyed by its index)."""
        return self.get(
            ep.index,
            os=IMAGE_OS[ep.os_family],
            hostname=ep.hostname,
            ip_address=ep.internal_ip,
            username=ep.username.rsplit("\\", 1)[-1],
        )

    def __len__(self) -> int:
        return len(self._images)
