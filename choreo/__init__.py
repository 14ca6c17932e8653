"""choreo: a person's EEG teaches a KUKA KR 6 R900 sixx how to move."""

__version__ = "0.1.0"
