"""The `bzra-cds` command line, one module per command group.

`main` (service/cli/main.py) builds the parser from the groups and is the one place that reports an
error: every `BzraError` (and the `cds_hooks` errors) becomes one line `bzra-cds: <what is wrong>` on
stderr with the error's exit status (2 for a user's or a deployment's mistake, 1 when the database
cannot answer). The groups load settings and knowledge through `service/cli/loading.py`.

    serve.py     serve            run the HTTP service
    migrate.py   migrate          bring the database schema up to date
    evaluate.py  facts, evaluate  what the service computes for a hook request file (records.py reads it)
    taper.py     taper            a taper plan as text, JSON, Markdown, FHIR or a handout
    report.py    report, suppressions   what the audit database holds
    rules.py     rules lint|test|schema  tools for rule authors

Run it as `bzra-cds …` or `python -m service.cli …`.
"""

from service.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
