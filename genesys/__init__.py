"""The application: the `genesys` command line, the demo, the report."""
