"""Command line for operators: `python -m cli run|migrate|seed`."""
