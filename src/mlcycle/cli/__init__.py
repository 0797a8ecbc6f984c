"""The ``mlcycle`` command line: one Typer module per command group, each a thin layer over the client.

Commands parse their arguments, call :func:`mlcycle.connect` (embedded or remote) or a service, and render a
table or ``--json``. Heavy libraries are imported inside the commands so that ``mlcycle --help`` stays fast.
"""
