"""One module per command: each takes parsed options and returns a `keygen.result.Result`."""
