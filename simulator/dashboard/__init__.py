"""robustsim: simulator/dashboard. A local web dashboard over a results folder (`robustsim dashboard DIR`).

`data` loads the folder (and picks up new part files while a run writes them), `queries` computes heat
maps, accuracy tables and sample lists from it, `api` maps URLs to those answers as JSON, and `server`
serves the API, the static page in `static/` and the saved renders. See docs/analysis.md.
"""
