"""Local fakes of the platforms the connector talks to, for the demo, tests and benchmarks.

`kit` is the shared plumbing (router, loopback server, faults, the one sandbox clock); `zoho`,
`exact` and `moneybird` are the fake platforms. They check requests against the adapters'
documented reference lists (``adapters/*/reference``), so a fake and its adapter agree on the
same contract. Nothing in the product imports this package except the `dunning demo` command.
"""
