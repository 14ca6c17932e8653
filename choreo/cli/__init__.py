"""The ``choreo`` command line.

Thin by design: each command parses its options and calls one function of the
package. Commands live in one module per area (``eeg``, ``robot``, ``learning``,
``session``), each registering on the shared :data:`app`. Heavy imports (torch,
mne) happen inside the commands so that ``choreo --help`` stays fast.
"""

from __future__ import annotations

import sys

import typer

from choreo.errors import ChoreoError

app = typer.Typer(
    name="choreo",
    help="EEG feedback teaches a KUKA KR 6 R900 sixx how to move.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
bench_app = typer.Typer(help="Benchmarks of choreo's parts.", no_args_is_help=True)
app.add_typer(bench_app, name="bench")

# Registration by import: each module adds its commands to ``app``.
from choreo.cli import benchmarks, eeg, learning, render, robot, scoring, session  # noqa: E402, F401


def main() -> None:
    """Run the command line; a :class:`ChoreoError` becomes one line and a non-zero exit."""
    from choreo.runtime import configure_process

    configure_process()  # the process-wide choices, before any command loads liblsl
    try:
        code = app(standalone_mode=False)
        # In non-standalone mode click returns (not raises) the code of typer.Exit(n).
        if isinstance(code, int) and code:
            sys.exit(code)
    except ChoreoError as exc:
        print(f"choreo: error: {exc}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("choreo: interrupted", file=sys.stderr)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        print("choreo: aborted", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # click usage errors come through here in non-standalone mode
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
