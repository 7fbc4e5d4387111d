"""What the process writes about itself: the log set-up (`setup`: one line per event to stderr)
and the redactor (`redact`: secrets never reach a log line, an error message or a report).

Infrastructure: the HTTP client, OAuth, mail and the adapters register their secrets with
`connector.logs.redact`; only the CLI's entry points call `connector.logs.setup`. The package
itself exports nothing, so importing the redactor does not pull in the set-up.
"""
