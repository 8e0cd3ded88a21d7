"""Try bzra-cds without an EHR: synthetic demo patients, an EHR-like order screen, and the taper planner.

`routes.demo_router()` (only with `bzra-cds serve --demo`) serves the order screen at `/` and the
patients; `routes.planner_router()` serves the taper planner, the SMART app cards can link to with
`links.planner_link()`. See `dates.py` for how the patients' dates follow the calendar.
"""
