"""Tools for rule authors, above the pipeline: run the tests beside the rules (`rule_tests`), explain
an evaluation (`explain`) and publish the JSON Schemas editors validate with (`schema`).

They sit above `service.pipeline` because the rule tests run a case through it; `service.rules`
itself (the models, the loader, the engine) imports nothing above it.
"""
