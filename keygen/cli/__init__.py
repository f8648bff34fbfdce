"""The command line: Typer parses, the command runs, the renderer prints; the process edge."""

#: The commands, in the order `keygen --help` lists them. Here, not beside the Typer app, so that
#: the edge can name a command without importing Typer (after an interrupt cut that import short).
COMMANDS = (
    "generate",
    "verify",
    "public-key",
    "exchange",
    "confirm",
    "plan",
    "doctor",
    "audit",
    "keys",
    "rotate",
    "retire",
)
