"""The database: engine and schema, corrections with versions, users and roles."""
