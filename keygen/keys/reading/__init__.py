"""Reading a key file's text as the SDKs' PEM readers do (the strictest of them decides)."""
