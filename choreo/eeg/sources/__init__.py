"""EEG sources: LSL inlets, recordings on disk, synthetic EEG, and LSL outlets.

Every source yields :class:`choreo.eeg.stream.Chunk` objects in microvolts;
see :mod:`choreo.eeg.stream` for the shared interface.
"""

import os
import tempfile
from pathlib import Path


def _quiet_liblsl() -> None:
    """Keep liblsl's own log to errors (its INFO lines clutter the terminal).

    liblsl reads its configuration once, when loaded, from the file named by
    ``LSLAPICFG``; a user's own setting is left alone.
    """
    if "LSLAPICFG" in os.environ:
        return
    cfg = Path(tempfile.gettempdir()) / f"choreo-lsl_api-{os.getuid()}.cfg"
    try:
        if not cfg.exists():
            cfg.write_text("[log]\nlevel = -2\n")
        os.environ["LSLAPICFG"] = str(cfg)
    except OSError:
        pass  # only cosmetic


_quiet_liblsl()
