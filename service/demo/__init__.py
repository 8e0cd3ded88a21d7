"""Try bzra-cds without an EHR: synthetic demo patients and an EHR-like order screen.

`routes.demo_router()` (only with `bzra-cds serve --demo`) serves the order screen at `/` and the
patients; the application finds it through the `bzra_cds.addons` entry point (`routes.install`), so
production code never imports this package. The taper planner the cards link to is production code
(`service.planner`). See `dates.py` for how the patients' dates follow the calendar.
"""
