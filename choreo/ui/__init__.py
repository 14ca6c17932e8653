"""choreo's terminal output: every rich console, table, live view and progress bar.

No module outside ``choreo.ui`` (and the CLI) imports rich (a test holds the package to
it): the areas compute, this package draws. :mod:`choreo.ui.console` has the shared
helpers (:func:`make_console`, :func:`progress_bar`, :func:`live_display`),
:mod:`choreo.ui.sparkline` the one-line chart; the views of each area sit beside them
(``eeg_view``, ``session_view``, ``session_summary``, ``learning_tables``).
"""
