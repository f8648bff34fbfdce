"""Key files: reading, judging one key and a pair, fix advice, and the system tools' second opinion."""
