"""Helpers shared by tests: the Amazon Pay stand-in server, TLS material, the Node SDK runner."""
