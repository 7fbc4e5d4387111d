"""The web console (issue #13): server-rendered pages over the library functions the CLI calls.

`app.create_app` builds the FastAPI application; `deps` holds what every page uses (the signed-in
user, the client check, CSRF, rendering, the audit trail). The people who may sign in and their
sessions are kept in the store (`users`, `sessions`), which the `dunning users` command manages
without importing the web stack: this package's __init__ stays empty of imports for that reason.
"""
