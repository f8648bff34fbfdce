"""The audit log: append, read, the hash chain, its verification and replay."""
