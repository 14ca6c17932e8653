"""EEG sources: LSL inlets, recordings on disk, synthetic EEG, and LSL outlets.

Every source yields :class:`choreo.eeg.stream.Chunk` objects in microvolts;
see :mod:`choreo.eeg.stream` for the shared interface.
"""
