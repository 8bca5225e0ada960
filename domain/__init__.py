"""Pure domain rules of the one-stop office: no I/O, no Temporal, no database, no settings."""
