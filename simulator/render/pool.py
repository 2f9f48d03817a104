"""One open BlenderRenderer per process (bpy is global), reopened only when the settings change."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.render.base import RenderSettings

if TYPE_CHECKING:
    from simulator.render.blender import BlenderRenderer


class RendererPool:
    def __init__(self) -> None:
        self.current: BlenderRenderer | None = None

    def get(self, settings: RenderSettings, fresh: bool = False) -> BlenderRenderer:
        """The open renderer if it has these settings (and `fresh` is not asked), else a new one."""
        from simulator.render.blender import BlenderRenderer  # bpy is heavy: import on first use

        if self.current is not None and (fresh or self.current.settings != settings):
            self.close()
        if self.current is None:
            self.current = BlenderRenderer(settings)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
