"""EEG sources: LSL inlets, recordings on disk, synthetic EEG, and LSL outlets.

Every source yields :class:`choreo.eeg.stream.Chunk` objects in microvolts;
see :mod:`choreo.eeg.stream` for the shared interface. liblsl's own log is kept to
errors by :func:`choreo.runtime.configure_process` (the entry points call it).

What real input can hold, and what choreo does with it:

================================================  =====================================
problem                                           handling
================================================  =====================================
missing, unreadable or directory path             error: ``<file>: file not found`` ...
unknown extension and unrecognised content        error: ``unknown recording format``
CSV without ``timestamps`` or a channel column    error naming the column and the file
CSV value that is not a number, wrong field count error naming file and line
CSV timestamps going backwards                    error naming file and line
CSV empty channel value                           NaN (the quality layer rejects it)
CSV last line truncated (recording killed)        dropped, noted in ``Recording.notes``
NaN / inf samples (any format, live too)          kept; rejected per window downstream
every sample NaN / inf                            error: ``every sample is NaN or infinite``
timestamp gaps                                    listed in ``Recording.gaps``
XDF without EEG stream / only empty EEG streams   error listing the streams found
XDF with several streams, empty streams           EEG picked by type (device name first,
                                                  then most samples); empties noted
XDF clock reset (sender restarted)                pyxdf ``handle_clock_resets``; noted
XDF backwards time after sync > half a sample     error naming file, stream, sample
XDF backwards jitter < half a sample              clamped, noted
channels MNE files mark bad                       dropped, noted
units (nV from an Enobio, V in MNE files)         converted to uV from the metadata;
                                                  unknown unit string: error
rate below 100 Hz / no frontal channel            error from ``frontal_indices``
LSL stream not found                              ``StreamError`` naming the query
LSL samples stop (dropout)                        ``StreamEvent`` + log + ``status``;
                                                  recovered when samples return
LSL stream lost and back (same or new outlet)     reconnected; a different channel
                                                  layout is a ``StreamError``
LSL stamps going backwards (sender jitter)        raised to the previous stamp
================================================  =====================================
"""
