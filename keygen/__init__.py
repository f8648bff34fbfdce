"""keygen: make the Amazon Pay key pair by the documented commands, exactly, and prove it is right."""

__version__ = "0.3.0"
