"""The command line: Typer parses, the command runs, the renderer prints; the process edge."""
