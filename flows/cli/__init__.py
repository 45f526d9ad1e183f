"""The ``ladder`` command line: one click group (``flows.cli.main``), its commands next to the stage they drive."""
