"""One open renderer per process (bpy is global), reopened only when the settings change.

`RenderSettings.renderer` picks the class: BlenderRenderer or MitsubaRenderer.
"""

from __future__ import annotations

from simulator.render.base import Renderer, RenderSettings


def renderer_class(name: str) -> type[Renderer]:
    """The Renderer class for a `RenderSettings.renderer` name (imported on first use: both are heavy)."""
    if name == "blender":
        from simulator.render.blender import BlenderRenderer

        return BlenderRenderer
    if name == "mitsuba":
        from simulator.render.mitsuba import MitsubaRenderer

        return MitsubaRenderer
    raise ValueError(f"unknown renderer {name!r} (one of: blender, mitsuba)")


class RendererPool:
    def __init__(self) -> None:
        self.current: Renderer | None = None

    def get(self, settings: RenderSettings, fresh: bool = False) -> Renderer:
        """The open renderer if it has these settings (and `fresh` is not asked), else a new one."""
        if self.current is not None and (fresh or self.current.settings != settings):
            self.close()
        if self.current is None:
            self.current = renderer_class(settings.renderer)(settings)
        return self.current

    def close(self) -> None:
        if self.current is not None:
            self.current.close()
            self.current = None
