"""Experiment snippets several tests share."""

BALL_NEAR_AND_FAR = """
objects: [soccer_ball]
environments: ['#d0d0d0']
controls:
  - type: camera
    distance: {min: 2.0, max: 12.0}
    elevation: {min: 0, max: 60}
render: {resolution: 64, samples: 4, denoise: true}
"""  # the embedded model knows the ball near the camera (distance < ~4.5), not far away (64 px renders)
