"""Unadversarial textures (differentiable rendering with Mitsuba 3) and 2D patches.

config (the `optimize:` section), sampling (conditions per step), render (Mitsuba through
`@dr.wrap`), loss (sRGB, model input, losses), augment (differentiable fog), loop (Adam,
checkpoints), outputs (curves, history, summary), patch (2D stickers), app (the commands).
"""
