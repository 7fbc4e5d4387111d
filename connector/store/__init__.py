"""The store: SQLModel tables, Alembic migrations and small repositories, one per concern.

Every repository function takes the tenant slug and filters on it: no query crosses clients.
Writes go through `db.session_scope` so each logical step is one transaction.
"""
