"""Tools for rule authors that read the whole service: they sit above the pipeline, nothing imports them."""
