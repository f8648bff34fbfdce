"""Starting processes: argv only, bounded, stoppable, every wait timed."""
