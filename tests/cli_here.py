"""`python manage.py ...` through its entry point (cli.main) in the test's own process: the same code path
without a new interpreter's start-up, for tests where a real process is not what is checked."""
from __future__ import annotations

import io
import os
import subprocess
from contextlib import redirect_stderr, redirect_stdout

import pytest


def manage_here(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Exit code, standard output and standard error as a process would give them, with `env` added to the
    environment for the call. The umask the command sets for itself is put back after."""
    from cli import main

    out, err = io.StringIO(), io.StringIO()
    umask = os.umask(0o077)
    os.umask(umask)
    with pytest.MonkeyPatch.context() as patch, redirect_stdout(out), redirect_stderr(err):
        for variable, value in env.items():
            patch.setenv(variable, value)
        try:
            code = main(list(args))
        except SystemExit as stopped:  # argparse refusing the arguments
            code = stopped.code if isinstance(stopped.code, int) else 2
        finally:
            os.umask(umask)
    return subprocess.CompletedProcess(["manage.py", *args], code, out.getvalue(), err.getvalue())
