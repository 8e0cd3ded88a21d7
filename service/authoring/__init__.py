"""Tools for rule authors, above the pipeline: run the tests beside the rules (`rule_tests`), explain
an evaluation (`explain`), publish the JSON Schemas editors validate with (`schema`) and the rule
author's reference, docs/rule-reference.md (`reference`, with `model_tables`).

They sit above `service.pipeline` because the rule tests run a case through it; `service.rules`
itself (the models, the loader, the engine) imports nothing above it.
"""
