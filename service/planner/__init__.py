"""The taper planner: the SMART app the taper cards link to, served in every mode.

`routes.planner_router()` serves the page, its configuration and its files; `links.planner_link()`
builds the card link that opens it; `pages` serves static pages with a strict Content-Security-Policy
(the demo's pages reuse it and the shared files in `static/`).
"""
